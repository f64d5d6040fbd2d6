using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SimdRnn.Execution;
using SimdRnn.Layers;
using SimdRnn.Reference;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Layers;

public sealed record DirectionCase(CellKind Cell, int T, int N, int I, int H, bool Reverse, int Seed, SimdPath Path)
{
    public override string ToString() => $"{Cell} {Path} T={T} N={N} I={I} H={H} reverse={Reverse}";
}

public static class DirectionArbitraries
{
    public static Arbitrary<DirectionCase> Case() =>
        (from cell in Gen.Elements(Enum.GetValues<CellKind>())
         from t in Gen.Choose(1, 6)
         from n in Gen.Choose(1, 4)
         from i in Gen.OneOf(Gen.Choose(1, 20), Gen.Elements(1, 17))
         from h in Gen.OneOf(Gen.Choose(1, 20), Gen.Elements(1, 16, 17))
         from reverse in Gen.Elements(false, true)
         from seed in Gen.Choose(0, int.MaxValue)
         from path in Gen.Elements(TestPaths.InProcess.ToArray())
         select new DirectionCase(cell, t, n, i, h, reverse, seed, path)).ToArbitrary();
}

/// <summary>
/// One direction of one layer against the double-precision reference: y, hT, cT, dx, dh0, dc0 and every weight and
/// bias gradient. Stated bound: each value within 1e-4 (1 + max |reference| of its tensor); the weight gradients
/// are added to what the caller's buffers held.
/// </summary>
[Trait("Category", "Kernel")]
public class DirectionLayerTests
{
    [Property(Arbitrary = [typeof(DirectionArbitraries)], MaxTest = 60)]
    public void Forward_and_backward_match_the_reference(DirectionCase c)
    {
        var random = new Random(c.Seed);
        ReferenceCellKind kind = (ReferenceCellKind)(int)c.Cell;
        int gates = c.Cell.GateCount();
        int gw = gates * c.H, state = c.N * c.H, ldy = c.Reverse ? 2 * c.H : c.H, offset = c.Reverse ? c.H : 0;
        double[] F(int count, double scale) => ReferenceRnn.RandomFloats(random, count, scale);
        float[] ToFloat(double[] v) => v.Select(d => (float)d).ToArray();
        double[] wih = F(gw * c.I, 0.5), whh = F(gw * c.H, 0.5), bih = F(gw, 0.5), bhh = F(gw, 0.5);
        double[] x = F(c.T * c.N * c.I, 1), h0 = F(state, 1), c0 = F(state, 1);
        double[] dy = F(c.T * state, 1), dhT = F(state, 1), dcT = F(state, 1);
        bool lstm = c.Cell == CellKind.Lstm;

        // The reverse direction writes the right half of a two-direction output, to exercise the row stride.
        IDirectionLayer layer = c.Cell.Layer();
        var plan = new DirectionPlan(new KernelContext(c.Path, 1), new DirectionShape(layer.Cell, c.T, c.N, c.I, c.H, Training: true), c.Reverse);
        var workspace = new float[plan.Shape.WorkspaceLength];
        var weights = new DirectionWeights(new DirectionTensors(ToFloat(wih), ToFloat(whh), ToFloat(bih), ToFloat(bhh)))
        {
            PackScratch = new float[plan.Shape.PackedRecurrentLength],
        };
        var yFull = new Guarded(c.T * c.N * ldy, fill: 3f);
        var hT = new Guarded(state);
        var cT = new Guarded(state);
        layer.Forward(plan, weights, ToFloat(x), ToFloat(h0), lstm ? ToFloat(c0) : default, yFull.Span[offset..], ldy, hT.Span,
            lstm ? cT.Span : default, workspace);
        yFull.AssertGuardsIntact();

        // The reference runs a one-direction layer; for reverse, feed it as the reverse half of a bidirectional one.
        var reference = new ReferenceRnn(kind, c.I, c.H);
        var parameters = new Dictionary<string, double[]> { ["weight_ih_l0"] = wih, ["weight_hh_l0"] = whh, ["bias_ih_l0"] = bih, ["bias_hh_l0"] = bhh };
        double[] xr = c.Reverse ? ReverseTime(x, c.T, c.N * c.I) : x;
        double[] dyr = c.Reverse ? ReverseTime(dy, c.T, state) : dy;
        ReferenceRnn.ForwardResult expected = reference.Forward(c.T, c.N, xr, h0, lstm ? c0 : null, parameters);
        double[] yExpected = c.Reverse ? ReverseTime(expected.Y, c.T, state) : expected.Y;
        float[] y = new float[c.T * state];
        for (int r = 0; r < c.T * c.N; r++)
        {
            yFull.Span.Slice(r * ldy + offset, c.H).CopyTo(y.AsSpan(r * c.H));
            for (int j = 0; j < ldy; j++)
                if (j < offset || j >= offset + c.H) Assert.Equal(3f, yFull.Span[r * ldy + j]);
        }

        AssertClose(yExpected, y, "y");
        AssertClose(expected.HT, hT.ToArray(), "hT");
        if (lstm) AssertClose(expected.CT!, cT.ToArray(), "cT");

        // Backward adds into gradients that already hold values.
        float[] dWih = Enumerable.Repeat(1f, gw * c.I).ToArray(), dWhh = Enumerable.Repeat(1f, gw * c.H).ToArray();
        float[] dBih = Enumerable.Repeat(1f, gw).ToArray(), dBhh = Enumerable.Repeat(1f, gw).ToArray();
        var dx = new Guarded(c.T * c.N * c.I);
        var dh0 = new Guarded(state);
        var dc0 = new Guarded(state);
        layer.Backward(plan, weights, ToFloat(x), ToFloat(h0), yFull.Span[offset..], ldy, ToFloat(dy), c.H, ToFloat(dhT),
            lstm ? ToFloat(dcT) : default, dx.Span, accumulateDx: false, dh0.Span, lstm ? dc0.Span : default,
            new DirectionTensors(dWih, dWhh, dBih, dBhh), workspace);
        dx.AssertGuardsIntact();
        ReferenceRnn.Gradients g = reference.Backward(c.T, c.N, xr, h0, lstm ? c0 : null, parameters, dyr, dhT, lstm ? dcT : null);
        AssertClose(c.Reverse ? ReverseTime(g.Dx, c.T, c.N * c.I) : g.Dx, dx.ToArray(), "dx");
        AssertClose(g.Dh0, dh0.ToArray(), "dh0");
        if (lstm) AssertClose(g.Dc0!, dc0.ToArray(), "dc0");
        AssertClose(g.Parameters["weight_ih_l0"].Select(v => v + 1).ToArray(), dWih, "dW_ih");
        AssertClose(g.Parameters["weight_hh_l0"].Select(v => v + 1).ToArray(), dWhh, "dW_hh");
        AssertClose(g.Parameters["bias_ih_l0"].Select(v => v + 1).ToArray(), dBih, "db_ih");
        AssertClose(g.Parameters["bias_hh_l0"].Select(v => v + 1).ToArray(), dBhh, "db_hh");
    }

    private static double[] ReverseTime(double[] values, int steps, int perStep)
    {
        var reversed = new double[values.Length];
        for (int t = 0; t < steps; t++) Array.Copy(values, t * perStep, reversed, (steps - 1 - t) * perStep, perStep);
        return reversed;
    }

    private static void AssertClose(double[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double bound = 1e-4 * (1 + expected.Select(Math.Abs).DefaultIfEmpty(0).Max());
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= bound, $"{what}[{i}]: {actual[i]:R} vs reference {expected[i]:R} (bound {bound:E2})");
    }
}
