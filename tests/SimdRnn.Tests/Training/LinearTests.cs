using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SimdRnn.Reference;
using SimdRnn.Tests.Sgemm;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Training;

/// <summary>
/// Linear forward and backward against the double-precision reference (each result is a GEMM or a column sum, so
/// <see cref="ReferenceGemm"/> with its absolute-value scale gives both the value and the bound) on random shapes, with
/// the gradients pre-filled with random values: backward must add into dW and db (and overwrite dx, pre-filled with
/// NaN). Each result is a k-term sum plus the old value: y (k = inputs, old = bias), dx (k = outputs, no old value),
/// dW (k = rows, old = dW), db (k = rows, old = db), within the GEMM's bound 3 max(k, 1) 2^-24 (|A||B| + |C|).
/// </summary>
[Trait("Category", "Kernel")]
public class LinearTests
{
    public sealed record LinearCase(int Rows, int Inputs, int Outputs, int Seed, SimdPath Path, int Threads)
    {
        public override string ToString() => $"{Path}, {Threads} threads, rows {Rows}, inputs {Inputs}, outputs {Outputs}, seed {Seed}";
    }

    public static class Arbitraries
    {
        private static Gen<int> Size(int max) => Gen.OneOf(Gen.Choose(1, max), Gen.Elements(1, 7, 8, 9, 16, 17, 33, 65, 130));

        public static Arbitrary<LinearCase> Case() =>
            (from rows in Size(40)
             from inputs in Size(70)
             from outputs in Size(70)
             from seed in Gen.Choose(0, int.MaxValue)
             from path in Gen.Elements(TestPaths.InProcess.ToArray())
             from threads in Gen.Elements(1, 2)
             select new LinearCase(rows, inputs, outputs, seed, path, threads)).ToArbitrary();
    }

    [Property(Arbitrary = [typeof(Arbitraries)], MaxTest = 60)]
    public void Forward_and_backward_match_the_double_reference_and_backward_adds_into_the_gradients(LinearCase c)
    {
        var random = new Random(c.Seed);
        float[] Values(int count) => Enumerable.Range(0, count).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        (int n, int i, int o) = (c.Rows, c.Inputs, c.Outputs);
        float[] x = Values(n * i), weight = Values(o * i), bias = Values(o), dy = Values(n * o);
        float[] weightGradient0 = Values(o * i), biasGradient0 = Values(o);

        var y = new Guarded(n * o);
        Linear.Forward(c.Path, n, i, o, x, weight, bias, y.Span, c.Threads);
        y.AssertGuardsIntact();
        // y = x W^T + b: the GEMM with C = the bias broadcast to every row and beta = 1.
        float[] biasRows = Enumerable.Range(0, n * o).Select(k => bias[k % o]).ToArray();
        AssertMatches("y", y.ToArray(), i, absolute => ReferenceGemm.Multiply(false, true, n, o, i, 1, x, i, weight, i, 1, biasRows, o, absolute));

        var dx = new Guarded(n * i, fill: float.NaN);
        var weightGradient = new Guarded(weightGradient0);
        var biasGradient = new Guarded(biasGradient0);
        Linear.Backward(c.Path, n, i, o, x, weight, dy, dx.Span, weightGradient.Span, biasGradient.Span, c.Threads);
        dx.AssertGuardsIntact();
        weightGradient.AssertGuardsIntact();
        biasGradient.AssertGuardsIntact();
        AssertMatches("dx", dx.ToArray(), o, absolute => ReferenceGemm.Multiply(false, false, n, i, o, 1, dy, o, weight, i, 0, [], i, absolute));
        AssertMatches("dW", weightGradient.ToArray(), n,
            absolute => ReferenceGemm.Multiply(true, false, o, i, n, 1, dy, o, x, i, 1, weightGradient0, i, absolute));
        // db += the column sums of dy: dy^T times a column of ones.
        float[] ones = Enumerable.Repeat(1f, n).ToArray();
        AssertMatches("db", biasGradient.ToArray(), n,
            absolute => ReferenceGemm.Multiply(true, false, o, 1, n, 1, dy, o, ones, 1, 1, biasGradient0, 1, absolute));
    }

    /// <summary>|actual - reference| &lt;= 3 max(k, 1) 2^-24 scale element-wise (scale: the reference on absolute values).</summary>
    private static void AssertMatches(string name, float[] actual, int k, Func<bool, double[]> reference)
    {
        double[] expected = reference(false), scale = reference(true);
        double unit = GemmCase.ErrorConstant * Math.Max(k, 1) * Math.Pow(2, -24);
        for (int j = 0; j < actual.Length; j++)
        {
            double bound = unit * scale[j];
            Assert.True(Math.Abs(actual[j] - expected[j]) <= bound, $"{name}[{j}] = {actual[j]:R}, reference {expected[j]:R}, bound {bound:R}");
        }
    }
}
