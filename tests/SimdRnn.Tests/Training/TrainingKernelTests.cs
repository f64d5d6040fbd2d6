using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SimdRnn.Reference;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Training;

/// <summary>
/// Softmax cross-entropy, Adam, SGD and clipping against the double-precision reference, on every in-process path. Stated bounds, eps = 2^-24: softmax-CE gradient within 8 eps |scale| and the summed
/// loss within 8 eps (rows + sum |logit - max|); Adam parameters within 8 eps (|p| + lr / (1 - b1^t) |m / denominator|),
/// moments within 4 eps; norms within 1e-12 relative.
/// </summary>
[Trait("Category", "Kernel")]
public class TrainingKernelTests
{
    private const double Eps = 1.0 / (1 << 24);

    public sealed record SoftmaxCase(int Rows, int Classes, float[] Logits, int[] Targets, SimdPath Path)
    {
        public override string ToString() => $"{Path}, rows {Rows}, classes {Classes}";
    }

    public static class Arbitraries
    {
        public static Arbitrary<SoftmaxCase> Softmax() =>
            (from rows in Gen.Choose(1, 6)
             from classes in Gen.OneOf(Gen.Choose(1, 70), Gen.Elements(65, 256, 1000))
             from logits in Gen.Choose(-3_000_000, 3_000_000).Select(v => v / 100_000f).ArrayOf(rows * classes)
             from targets in Gen.Choose(0, classes - 1).ArrayOf(rows)
             from path in Gen.Elements(TestPaths.InProcess.ToArray())
             select new SoftmaxCase(rows, classes, logits, targets, path)).ToArbitrary();

        public static Arbitrary<SimdPath> Path() => Gen.Elements(TestPaths.InProcess.ToArray()).ToArbitrary();

        public static Arbitrary<float[]> Values() => Generators.KernelArray(3000)
            .Select(a => a.Select(v => float.IsFinite(v) ? Math.Clamp(v, -100f, 100f) : 0.5f).ToArray()).ToArbitrary();
    }

    [Property(Arbitrary = [typeof(Arbitraries)], MaxTest = 80)]
    public void Softmax_cross_entropy_matches_reference(SoftmaxCase c)
    {
        float scale = 1f / c.Rows;
        var d = new Guarded(c.Logits.Length);
        double loss = SoftmaxCrossEntropy.ForwardBackward(c.Path, c.Logits, c.Targets, d.Span, c.Classes, scale);
        d.AssertGuardsIntact();
        (double expectedLoss, double[] expectedD) = ReferenceTraining.SoftmaxCrossEntropy(c.Logits, c.Targets, c.Classes, scale);
        double lossBound = 8 * Eps * (c.Rows + c.Logits.Sum(v => Math.Abs((double)v)) * 2);
        Assert.True(Math.Abs(loss - expectedLoss) <= lossBound, $"loss {loss:R} vs {expectedLoss:R}");
        for (int i = 0; i < expectedD.Length; i++)
            Assert.True(Math.Abs(d.Span[i] - expectedD[i]) <= 8 * Eps * scale, $"dLogits[{i}] {d.Span[i]:R} vs {expectedD[i]:R}");

        // In place gives the same.
        var inPlace = (float[])c.Logits.Clone();
        SoftmaxCrossEntropy.ForwardBackward(c.Path, inPlace, c.Targets, inPlace, c.Classes, scale);
        Assert.Equal(d.ToArray(), inPlace);
    }

    [Fact]
    public void Softmax_cross_entropy_propagates_nan_and_rejects_bad_targets()
    {
        float[] logits = [1, float.NaN, 3, 1, 2, 3];
        var d = new float[6];
        double loss = SoftmaxCrossEntropy.ForwardBackward(logits, [0, 2], d, 3);
        Assert.True(double.IsNaN(loss));
        Assert.True(float.IsNaN(d[0]) && !float.IsNaN(d[3]));
        Assert.Equal("targets", Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxCrossEntropy.ForwardBackward(logits, [0, 3], d, 3)).ParamName);
        var mismatch = Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.ForwardBackward(logits, [0], d, 3));
        Assert.Equal("logits", mismatch.ParamName);
        Assert.StartsWith("logits has length 6 but targets has 1 rows of 3 classes (3).", mismatch.Message);
        Assert.Equal("dLogits", Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.ForwardBackward(logits, [0, 1], new float[5], 3)).ParamName);
    }

    [Property(Arbitrary = [typeof(Arbitraries)], MaxTest = 60)]
    public void Adam_matches_reference(float[] gradient, PositiveInt stepSeed, SimdPath path)
    {
        int n = gradient.Length, step = stepSeed.Get % 50 + 1;
        var random = new Random(n);
        float[] p = Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
        float[] m = Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() * 0.2f - 0.1f).ToArray();
        float[] v = Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() * 0.01f).ToArray();
        var (pg, mg, vg) = (new Guarded(p), new Guarded(m), new Guarded(v));
        Optimizer.AdamStep(path, pg.Span, gradient, mg.Span, vg.Span, step, 2e-3f, 0.9f, 0.999f, 1e-8f);
        pg.AssertGuardsIntact();
        mg.AssertGuardsIntact();
        vg.AssertGuardsIntact();
        var (pe, me, ve) = ReferenceTraining.Adam(p, gradient, m, v, step, 2e-3f, 0.9f, 0.999f, 1e-8f);
        double c1 = 1 - Math.Pow(0.9f, step), c2 = 1 - Math.Pow(0.999f, step);
        for (int i = 0; i < n; i++)
        {
            Assert.True(Math.Abs(mg.Span[i] - me[i]) <= 4 * Eps * (Math.Abs(me[i]) + Math.Abs(m[i]) + Math.Abs(gradient[i])), $"m[{i}]");
            Assert.True(Math.Abs(vg.Span[i] - ve[i]) <= 4 * Eps * (Math.Abs(ve[i]) + Math.Abs(v[i])), $"v[{i}]");
            double update = 2e-3 / c1 * Math.Abs(me[i]) / (Math.Sqrt(ve[i]) / Math.Sqrt(c2) + 1e-8);
            Assert.True(Math.Abs(pg.Span[i] - pe[i]) <= 8 * Eps * (Math.Abs(p[i]) + update), $"p[{i}] {pg.Span[i]:R} vs {pe[i]:R}");
        }
    }

    [Property(Arbitrary = [typeof(Arbitraries)], MaxTest = 60)]
    public void Sgd_and_clipping_match_reference(float[] a, float[] b, SimdPath path)
    {
        var p = new Guarded(a);
        float[] g = a.Select((_, i) => i < b.Length ? b[i] : 1f).ToArray();
        Optimizer.SgdStep(path, p.Span, g, 0.1f);
        p.AssertGuardsIntact();
        for (int i = 0; i < a.Length; i++)
        {
            // One rounding (or two without FMA), plus half a denormal step for results below the normal range.
            double expected = a[i] - (double)0.1f * g[i];
            Assert.True(Math.Abs(p.Span[i] - expected) <= 2 * Eps * (Math.Abs(a[i]) + Math.Abs(0.1 * g[i])) + float.Epsilon,
                $"sgd [{i}]: {p.Span[i]:R} vs {expected:R}");
        }

        var clipped = new Guarded(g);
        GradientClipping.ClipByValue(path, clipped.Span, 0.5f);
        clipped.AssertGuardsIntact();
        Assert.Equal(g.Select(x => Math.Clamp(x, -0.5f, 0.5f)).ToArray(), clipped.ToArray());

        float[] first = (float[])a.Clone(), second = (float[])g.Clone();
        double expectedNorm = ReferenceTraining.GlobalNorm([first, second]);
        double norm = GradientClipping.ClipByGlobalNorm(path, new Memory<float>[] { first, second }, 1f);
        Assert.True(Math.Abs(norm - expectedNorm) <= 1e-6 * expectedNorm + 1e-30, $"norm {norm:R} vs {expectedNorm:R}");
        double after = ReferenceTraining.GlobalNorm([first, second]);
        Assert.True(expectedNorm <= 1 ? after == expectedNorm : Math.Abs(after - 1) < 1e-5, $"norm after clipping {after:R}");
    }

    [Theory, MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    public void Clipping_reports_a_nan_or_infinite_norm_and_does_not_hide_it(SimdPath path)
    {
        float[] g = [1, float.NaN, 2];
        Assert.True(double.IsNaN(GradientClipping.ClipByGlobalNorm(path, new Memory<float>[] { g }, 1f)));
        Assert.True(float.IsNaN(g[1]) && g[0] == 1 && g[2] == 2);
        float[] h = [float.PositiveInfinity, 3];
        Assert.True(double.IsPositiveInfinity(GradientClipping.ClipByGlobalNorm(path, new Memory<float>[] { h }, 1f)));
        float[] v = [float.NaN, 7, -7];
        GradientClipping.ClipByValue(path, v, 1);
        Assert.True(float.IsNaN(v[0]) && v[1] == 1 && v[2] == -1);
        Assert.Equal("limit", Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByValue(v, float.NaN)).ParamName);
        Assert.Equal("maxNorm", Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByGlobalNorm(new Memory<float>[] { v }, 0)).ParamName);
        Assert.Equal("m", Assert.Throws<ArgumentException>(() => Optimizer.AdamStep(new float[3], new float[3], new float[2], new float[3], 1, 0.1f)).ParamName);
        Assert.Equal("step", Assert.Throws<ArgumentOutOfRangeException>(() => Optimizer.AdamStep(new float[3], new float[3], new float[3], new float[3], 0, 0.1f)).ParamName);
    }
}
