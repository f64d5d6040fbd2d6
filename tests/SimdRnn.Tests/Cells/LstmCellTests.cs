using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SimdRnn.Reference;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Cells;

public sealed record LstmCellCase(int Rows, int Hidden, int Ldh, float[] Gates, float[] Bias, float[] CPrev, float[] Dy, float[] Dh, float[] Dc, SimdPath Path)
{
    public override string ToString() => $"{Path}, rows {Rows}, hidden {Hidden}, ldh {Ldh}";
}

public static class LstmCellArbitraries
{
    private static Gen<float[]> Values(int count, float range) =>
        Gen.Choose(-1_000_000, 1_000_000).Select(v => v * (range / 1_000_000f)).ArrayOf(count);

    public static Arbitrary<LstmCellCase> Case() =>
        (from rows in Gen.Choose(1, 5)
         from hidden in Gen.OneOf(Gen.Choose(1, 40), Gen.Elements(1, 15, 16, 17, 31, 33, 64, 65))
         from pad in Gen.Choose(0, 3)
         from gates in Values(rows * 4 * hidden, 6f)
         from bias in Values(4 * hidden, 2f)
         from cPrev in Values(rows * hidden, 4f)
         from dy in Values(rows * (hidden + pad), 3f)
         from dh in Values(rows * hidden, 3f)
         from dc in Values(rows * hidden, 3f)
         from path in Gen.Elements(TestPaths.InProcess.ToArray())
         select new LstmCellCase(rows, hidden, hidden + pad, gates, bias, cPrev, dy, dh, dc, path)).ToArbitrary();
}

/// <summary>
/// The fused LSTM step against the double-precision reference. Stated bound: every output within
/// 16 eps (1 + |cPrev|) forward (the rounding of pre = gates + bias moves an activation by at most
/// 0.45 eps, since |p act'(p)| &lt;= 0.45) and 32 eps (|dh| + |dc|) (1 + |cPrev|) backward, eps = 2^-24:
/// the activations' 2 ULP and a handful of roundings.
/// </summary>
[Trait("Category", "Kernel")]
public class LstmCellTests
{
    private const double Eps = 1.0 / (1 << 24);

    [Property(Arbitrary = [typeof(LstmCellArbitraries)], MaxTest = 80)]
    public void Forward_matches_reference_and_writes_only_its_outputs(LstmCellCase t)
    {
        int rows = t.Rows, hidden = t.Hidden;
        var gates = new Guarded(t.Gates);
        var c = new Guarded(rows * hidden);
        var h = new Guarded((rows - 1) * t.Ldh + hidden, fill: 7f);
        CellSteps.LstmForward(gates.Span, t.Bias, t.CPrev, c.Span, h.Span, t.Ldh, rows, hidden, saveGates: true, t.Path);
        gates.AssertGuardsIntact();
        c.AssertGuardsIntact();
        h.AssertGuardsIntact();

        ReferenceLstmCell.ForwardResult expected = ReferenceLstmCell.Forward(t.Gates, t.Bias, t.CPrev, rows, hidden);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < hidden; j++)
            {
                double bound = 16 * Eps * (1 + Math.Abs(t.CPrev[r * hidden + j]));
                for (int g = 0; g < 4; g++)
                    AssertClose(expected.Gates[(r * 4 + g) * hidden + j], gates.Span[(r * 4 + g) * hidden + j], bound, $"gate {g} at ({r},{j})");
                AssertClose(expected.C[r * hidden + j], c.Span[r * hidden + j], bound, $"c at ({r},{j})");
                AssertClose(expected.H[r * hidden + j], h.Span[r * t.Ldh + j], bound, $"h at ({r},{j})");
            }

        // The padding between h rows is not written.
        for (int r = 0; r + 1 < rows; r++)
            for (int j = hidden; j < t.Ldh; j++)
                Assert.Equal(7f, h.Span[r * t.Ldh + j]);
    }

    [Property(Arbitrary = [typeof(LstmCellArbitraries)], MaxTest = 80)]
    public void Backward_matches_reference_and_writes_only_its_outputs(LstmCellCase t)
    {
        int rows = t.Rows, hidden = t.Hidden;
        // Backward inputs are forward results: activated gates and c from the reference, rounded to float.
        ReferenceLstmCell.ForwardResult forward = ReferenceLstmCell.Forward(t.Gates, t.Bias, t.CPrev, rows, hidden);
        float[] activated = forward.Gates.Select(v => (float)v).ToArray();
        float[] c = forward.C.Select(v => (float)v).ToArray();
        float[] dhTotal = new float[rows * hidden];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < hidden; j++)
                dhTotal[r * hidden + j] = t.Dy[r * t.Ldh + j] + t.Dh[r * hidden + j];

        var gates = new Guarded(activated);
        var dc = new Guarded(t.Dc);
        CellSteps.LstmBackward(gates.Span, c, t.CPrev, t.Dy, t.Ldh, t.Dh, dc.Span, rows, hidden, t.Path);
        gates.AssertGuardsIntact();
        dc.AssertGuardsIntact();

        ReferenceLstmCell.BackwardResult expected = ReferenceLstmCell.Backward(activated, c, t.CPrev, dhTotal, t.Dc, rows, hidden);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < hidden; j++)
            {
                int k = r * hidden + j;
                double scale = (Math.Abs(t.Dy[r * t.Ldh + j]) + Math.Abs(t.Dh[k]) + Math.Abs(t.Dc[k])) * (1 + Math.Abs(t.CPrev[k]));
                double bound = 32 * Eps * scale + 1e-30;
                for (int g = 0; g < 4; g++)
                    AssertClose(expected.GateGradients[(r * 4 + g) * hidden + j], gates.Span[(r * 4 + g) * hidden + j], bound, $"dG {g} at ({r},{j})");
                AssertClose(expected.DcPrev[k], dc.Span[k], bound, $"dcPrev at ({r},{j})");
            }
    }

    [Theory, MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    public void Nan_in_a_gate_propagates_to_c_and_h(SimdPath path)
    {
        const int hidden = 19;
        var gates = new float[4 * hidden];
        gates[2 * hidden + 18] = float.NaN; // g of the last (tail) column
        gates[5] = float.NaN;               // i of a vector column
        var c = new float[hidden];
        var h = new float[hidden];
        CellSteps.LstmForward(gates, new float[4 * hidden], new float[hidden], c, h, hidden, 1, hidden, saveGates: false, path);
        Assert.True(float.IsNaN(c[18]) && float.IsNaN(h[18]) && float.IsNaN(c[5]) && float.IsNaN(h[5]));
        Assert.False(float.IsNaN(h[0]));
    }

    private static void AssertClose(double expected, float actual, double bound, string what) =>
        Assert.True(Math.Abs(actual - expected) <= bound, $"{what}: {actual:R} vs reference {expected:R} (bound {bound:E3})");
}
