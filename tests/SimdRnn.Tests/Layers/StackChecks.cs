using SimdRnn.Layers;
using SimdRnn.Reference;

namespace SimdRnn.Tests.Layers;

/// <summary>
/// What the stack tests share: the stacks and parameters of the bitwise-invariance tests, and the comparisons of a
/// stack's results with the double reference (each value within 2e-4 (1 + max |reference| of its tensor)).
/// </summary>
internal static class StackChecks
{
    /// <summary>A two-layer bidirectional stack of one cell form on <paramref name="path"/> (the invariance tests' stack).</summary>
    public static RecurrentStack BidirectionalStack((CellKind Cell, bool LinearBeforeReset) form, int input, int hidden, SimdPath path, int threads,
        StepSplitRule split = StepSplitRule.Auto, int layers = 2) =>
        new(form.Cell, input, hidden, layers, bidirectional: true, new() { LinearBeforeReset = form.LinearBeforeReset })
        {
            Path = path, MaxDegreeOfParallelism = threads, StepSplit = split,
        };

    /// <summary>The stack's parameters filled with sin(0.37 i) * 0.3: every weight different, none large.</summary>
    public static RecurrentParameters WavyParameters(RecurrentStack stack)
    {
        RecurrentParameters parameters = stack.CreateParameters();
        for (int i = 0; i < parameters.All.Length; i++) parameters.All[i] = MathF.Sin(0.37f * i) * 0.3f;
        return parameters;
    }

    /// <summary>T x N x I inputs cos(0.21 i).</summary>
    public static float[] WavyInputs(int count) => [.. Enumerable.Range(0, count).Select(i => MathF.Cos(0.21f * i))];

    /// <summary>"cell (linearBeforeReset=...) path k threads", for messages.</summary>
    public static string Label(RecurrentStack stack) =>
        $"{stack.Cell} (linearBeforeReset={stack.LinearBeforeReset}) {stack.Path} {stack.MaxDegreeOfParallelism} threads";

    public static int[] Bits(float[] values) => SimdRnn.Tests.Sgemm.GemmPropertyTests.Bitwise(values);

    public static float[] ToFloat(double[] values) => [.. values.Select(v => (float)v)];

    public static void AssertClose(double[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double bound = 2e-4 * (1 + expected.Select(Math.Abs).DefaultIfEmpty(0).Max());
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= bound, $"{what}[{i}]: {actual[i]:R} vs reference {expected[i]:R} (bound {bound:E2})");
    }

    /// <summary>
    /// An inference forward's results: bitwise the training forward's; with dropout (which inference ignores), those of
    /// the reference without it (<paramref name="withoutDropout"/>).
    /// </summary>
    public static void AssertInferenceAgrees(StackCase c, Func<ReferenceRnn.ForwardResult> withoutDropout, float[] y, float[] hT, float[] cT,
        float[] yInference, float[] hInference, float[] cInference)
    {
        if (c.Dropout > 0 && c.Layers > 1)
        {
            ReferenceRnn.ForwardResult expected = withoutDropout();
            AssertClose(expected.Y, yInference, "inference y");
            AssertClose(expected.HT, hInference, "inference hT");
            if (c.Cell == CellKind.Lstm) AssertClose(expected.CT!, cInference, "inference cT");
        }
        else
        {
            Assert.Equal(Bits(y), Bits(yInference));
            Assert.Equal(Bits(hT), Bits(hInference));
            Assert.Equal(Bits(cT), Bits(cInference));
        }
    }

    /// <summary>A backward's dx, dh0, dc0 (LSTM) and parameter gradients against the reference's.</summary>
    public static void AssertGradientsClose(ReferenceRnn.Gradients expected, float[] dx, float[] dh0, float[] dc0, RecurrentParameters gradients)
    {
        AssertClose(expected.Dx, dx, "dx");
        AssertClose(expected.Dh0, dh0, "dh0");
        if (expected.Dc0 is not null) AssertClose(expected.Dc0, dc0, "dc0");
        foreach (string name in gradients.Names) AssertClose(expected.Parameters[name], gradients[name].ToArray(), "d" + name);
    }
}
