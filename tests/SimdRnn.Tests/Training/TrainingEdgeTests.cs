using SimdRnn.Reference;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Training;

/// <summary>
/// The edges of the training kernels that the random tests rarely reach (found by mutation testing, see
/// tests/mutation/README.md): a clipping limit of 0, a global norm below the maximum (nothing scaled), the exact
/// PyTorch coefficient maxNorm / (norm + 1e-6), an infinite norm (nothing scaled), the blocked float accumulation of
/// the norm over millions of elements, Adam's first step, and softmax rows whose logits lie more than 87 below the
/// row maximum (e^x below the normal range, or 0). Every path in this process.
/// </summary>
[Trait("Category", "Kernel")]
public class TrainingEdgeTests
{
    private const double Eps = 1.0 / (1 << 24);

    [Theory, MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    public void Clipping_by_value_to_a_zero_limit_zeroes_every_number_and_keeps_nan(SimdPath path)
    {
        float[] g = [3, -2, 0.5f, float.NaN, -0f, 7, -1e-30f, float.PositiveInfinity, float.NegativeInfinity, 1, 2, 3, 4, 5, 6, 7, 8];
        GradientClipping.ClipByValue(path, g, 0f);
        for (int i = 0; i < g.Length; i++)
            Assert.True(i == 3 ? float.IsNaN(g[i]) : g[i] == 0f, $"[{i}] = {g[i]:R}");
    }

    [Theory, MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    public void Clipping_by_global_norm_scales_by_max_norm_over_norm_plus_1e6_and_only_above_the_maximum(SimdPath path)
    {
        var random = new Random(17);
        float[] first = Enumerable.Range(0, 37).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] second = Enumerable.Range(0, 5).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        double expectedNorm = ReferenceTraining.GlobalNorm([first, second]);

        // Below the maximum (coefficient above 1): bitwise untouched.
        float[] a = (float[])first.Clone(), b = (float[])second.Clone();
        double norm = GradientClipping.ClipByGlobalNorm(path, new Memory<float>[] { a, b }, (float)(expectedNorm * 1.5));
        Assert.True(Math.Abs(norm - expectedNorm) <= 1e-6 * expectedNorm, $"norm {norm:R} vs {expectedNorm:R}");
        Assert.Equal(first, a);
        Assert.Equal(second, b);

        // Above it: every element times (float)(maxNorm / (norm + 1e-6)), one float rounding (as PyTorch computes it).
        const float maxNorm = 0.25f;
        norm = GradientClipping.ClipByGlobalNorm(path, new Memory<float>[] { a, b }, maxNorm);
        float coefficient = (float)(maxNorm / (norm + 1e-6));
        Assert.Equal(first.Select(x => x * coefficient).ToArray(), a);
        Assert.Equal(second.Select(x => x * coefficient).ToArray(), b);

        // An infinite norm is reported and nothing is scaled (scaling by 0 would turn the infinity into NaN).
        float[] h = [float.PositiveInfinity, 3, -2];
        Assert.True(double.IsPositiveInfinity(GradientClipping.ClipByGlobalNorm(path, new Memory<float>[] { h }, 1f)));
        Assert.Equal([float.PositiveInfinity, 3f, -2f], h);
    }

    [Theory, MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    public void Global_norm_of_millions_of_equal_elements_is_accurate_to_the_float_rounding_of_one_block(SimdPath path)
    {
        // 2^22 squares of 0.3f: summed in one float accumulator per lane they drift by percents (each addition rounds
        // to the ulp of a large partial sum); in blocks of 1024 elements each float partial is within 1024 eps of its
        // value (recursive summation) and the blocks are added in double.
        const int count = 1 << 22;
        float[] values = new float[count];
        Array.Fill(values, 0.3f);
        double expected = Math.Sqrt(count * ((double)0.3f * 0.3f));
        double norm = GradientClipping.GlobalNorm(path, new Memory<float>[] { values });
        Assert.True(Math.Abs(norm - expected) <= 1024 * Eps * expected, $"norm {norm:R} vs {expected:R}");
    }

    [Theory, MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    public void Adam_first_step_matches_the_reference(SimdPath path)
    {
        var random = new Random(3);
        const int n = 53;
        float[] p = Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
        float[] g = Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] m = new float[n], v = new float[n];
        float[] pk = (float[])p.Clone(), mk = (float[])m.Clone(), vk = (float[])v.Clone();
        Optimizer.AdamStep(path, pk, g, mk, vk, 1, 1e-3f, 0.9f, 0.999f, 1e-8f);
        var (pe, me, ve) = ReferenceTraining.Adam(p, g, m, v, 1, 1e-3f, 0.9f, 0.999f, 1e-8f);
        for (int i = 0; i < n; i++)
        {
            Assert.True(Math.Abs(mk[i] - me[i]) <= 4 * Eps * Math.Abs(me[i]), $"m[{i}] {mk[i]:R} vs {me[i]:R}");
            Assert.True(Math.Abs(vk[i] - ve[i]) <= 4 * Eps * Math.Abs(ve[i]), $"v[{i}] {vk[i]:R} vs {ve[i]:R}");
            // The first step moves each parameter by about lr (m / sqrt(v) = sign(g) after both corrections).
            Assert.True(Math.Abs(pk[i] - pe[i]) <= 8 * Eps * (Math.Abs(p[i]) + 1e-3), $"p[{i}] {pk[i]:R} vs {pe[i]:R}");
        }
    }

    [Theory, MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    public void Softmax_classes_far_below_the_row_maximum_get_their_tiny_or_zero_probability(SimdPath path)
    {
        // Gaps of 87..200 below the maximum: e^-gap is denormal (down to ~1.4e-45) or 0 in float. Each such gradient
        // is exp rounded once in the denormal range and scaled once: within 8 eps relative plus one denormal step.
        float[] logits = [0, -87.5f, -90, -95, -100, -103, -104.5f, -110, -200, 1, 2, 3, 4, 5, 6, 7, 8,
                          5, -90, 5, -120, 4.5f, -99, -101, -85, 5, 5, 5, 5, 5, 5, 5, 5, -300];
        const int classes = 17;
        int[] targets = [2, 1];
        const float scale = 0.5f;
        var d = new float[logits.Length];
        double loss = SoftmaxCrossEntropy.ForwardBackward(path, logits, targets, d, classes, scale);
        (double expectedLoss, double[] expectedD) = ReferenceTraining.SoftmaxCrossEntropy(logits, targets, classes, scale);
        Assert.True(Math.Abs(loss - expectedLoss) <= 1e-5 * expectedLoss, $"loss {loss:R} vs {expectedLoss:R}");
        for (int i = 0; i < d.Length; i++)
            Assert.True(Math.Abs(d[i] - expectedD[i]) <= 8 * Eps * Math.Abs(expectedD[i]) + float.Epsilon,
                $"dLogits[{i}] {d[i]:R} vs {expectedD[i]:R}");
    }

    [Fact]
    public void Linear_backward_rejects_each_output_overlapping_another_output_and_writes_nothing()
    {
        // rows 2, inputs 3, outputs 4; one buffer holds every output so that each pair can be made to overlap.
        // (The random invalid-argument test draws these pairs too, but not every one in every run.)
        float[] x = new float[6], weight = new float[12], dy = new float[8];
        foreach (var (first, second, name) in new[] { (3, 4, "weightGradient"), (4, 5, "biasGradient"), (3, 5, "biasGradient") })
        {
            float[] buffer = Enumerable.Range(0, 40).Select(i => (float)i).ToArray();
            float[] before = (float[])buffer.Clone();
            // Lengths: dx 6, weightGradient 12, biasGradient 4. Output `second` starts 1 element into output `first`.
            int[] start = [0, 0, 0, 0, 10, 26];
            start[second] = start[first] + 1;
            var exception = Assert.Throws<ArgumentException>(() => Linear.Backward(2, 3, 4, x, weight, dy,
                buffer.AsSpan(start[3], 6), buffer.AsSpan(start[4], 12), buffer.AsSpan(start[5], 4)));
            Assert.Equal(name, exception.ParamName);
            Assert.Equal(before, buffer);
        }
    }
}
