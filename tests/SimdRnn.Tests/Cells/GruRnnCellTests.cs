using FsCheck.Xunit;
using SimdRnn.Reference;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Cells;

/// <summary>
/// The fused GRU and RNN steps against the double-precision reference. Stated bound: every output within
/// 16 eps (1 + |hPrev|) forward and 32 eps |dh| (1 + |hPrev| + |gh_n|) backward, eps = 2^-24.
/// </summary>
[Trait("Category", "Kernel")]
public class GruRnnCellTests
{
    private const double Eps = 1.0 / (1 << 24);

    [Property(Arbitrary = [typeof(CellShapeArbitraries)], MaxTest = 80)]
    public void Gru_forward_matches_reference(CellShapeCase t)
    {
        int rows = t.Rows, hidden = t.Hidden, ld = t.Ld;
        float[] gi = t.Take(rows * 3 * hidden, 4), gh = t.Take(rows * 3 * hidden, 4);
        float[] bi = t.Take(3 * hidden, 1), bh = t.Take(3 * hidden, 1);
        float[] hPrevStrided = t.Take((rows - 1) * ld + hidden, 2);
        float[] hPrev = Unstride(hPrevStrided, rows, hidden, ld);
        var giOut = new Guarded(gi);
        var h = new Guarded((rows - 1) * ld + hidden, fill: 7f);
        var ghn = new Guarded(rows * hidden);
        CellSteps.GruForward(giOut.Span, gh, bi, bh, hPrevStrided, ld, h.Span, ld, ghn.Span, rows, hidden, save: true, t.Path);
        giOut.AssertGuardsIntact();
        h.AssertGuardsIntact();
        ghn.AssertGuardsIntact();

        ReferenceGruCell.ForwardResult expected = ReferenceGruCell.Forward(gi, gh, bi, bh, hPrev, rows, hidden);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < hidden; j++)
            {
                double bound = 16 * Eps * (1 + Math.Abs(hPrev[r * hidden + j]) + Math.Abs(expected.Ghn[r * hidden + j]));
                for (int g = 0; g < 3; g++)
                    AssertClose(expected.Gates[(r * 3 + g) * hidden + j], giOut.Span[(r * 3 + g) * hidden + j], bound, $"gate {g} ({r},{j})");
                AssertClose(expected.Ghn[r * hidden + j], ghn.Span[r * hidden + j], bound, $"ghn ({r},{j})");
                AssertClose(expected.H[r * hidden + j], h.Span[r * ld + j], bound, $"h ({r},{j})");
                if (r + 1 < rows)
                    for (int p = hidden; p < ld; p++) Assert.Equal(7f, h.Span[r * ld + p]);
            }
    }

    [Property(Arbitrary = [typeof(CellShapeArbitraries)], MaxTest = 80)]
    public void Gru_backward_matches_reference(CellShapeCase t)
    {
        int rows = t.Rows, hidden = t.Hidden, ld = t.Ld;
        ReferenceGruCell.ForwardResult forward = ReferenceGruCell.Forward(
            t.Take(rows * 3 * hidden, 4), t.Take(rows * 3 * hidden, 4), t.Take(3 * hidden, 1), t.Take(3 * hidden, 1),
            new float[rows * hidden], rows, hidden);
        float[] gates = forward.Gates.Select(v => (float)v).ToArray();
        float[] ghn = forward.Ghn.Select(v => (float)v).ToArray();
        float[] hPrevStrided = t.Take((rows - 1) * ld + hidden, 2);
        float[] dyStrided = t.Take((rows - 1) * ld + hidden, 3);
        float[] dhRecurrent = t.Take(rows * hidden, 3);
        float[] hPrev = Unstride(hPrevStrided, rows, hidden, ld);
        float[] dh = Unstride(dyStrided, rows, hidden, ld).Zip(dhRecurrent, (a, b) => a + b).ToArray();

        var dGi = new Guarded(gates);
        var dGh = new Guarded(rows * 3 * hidden);
        var dhPrev = new Guarded(rows * hidden);
        CellSteps.GruBackward(dGi.Span, ghn, hPrevStrided, ld, dyStrided, ld, dhRecurrent, dGh.Span, dhPrev.Span, rows, hidden, t.Path);
        dGi.AssertGuardsIntact();
        dGh.AssertGuardsIntact();
        dhPrev.AssertGuardsIntact();

        ReferenceGruCell.BackwardResult expected = ReferenceGruCell.Backward(gates, ghn, hPrev, dh, rows, hidden);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < hidden; j++)
            {
                int k = r * hidden + j;
                double dhScale = Math.Abs(Unstride(dyStrided, rows, hidden, ld)[k]) + Math.Abs(dhRecurrent[k]);
                double bound = 32 * Eps * dhScale * (1 + Math.Abs(hPrev[k]) + Math.Abs(ghn[k])) + 1e-30;
                for (int g = 0; g < 3; g++)
                {
                    AssertClose(expected.DGi[(r * 3 + g) * hidden + j], dGi.Span[(r * 3 + g) * hidden + j], bound, $"dGi {g} ({r},{j})");
                    AssertClose(expected.DGh[(r * 3 + g) * hidden + j], dGh.Span[(r * 3 + g) * hidden + j], bound, $"dGh {g} ({r},{j})");
                }

                AssertClose(expected.DhPrevDirect[k], dhPrev.Span[k], bound, $"dhPrev ({r},{j})");
            }
    }

    [Property(Arbitrary = [typeof(CellShapeArbitraries)], MaxTest = 80)]
    public void Rnn_forward_and_backward_match_reference_for_both_activations(CellShapeCase t)
    {
        int rows = t.Rows, hidden = t.Hidden, ld = t.Ld;
        foreach (bool relu in new[] { false, true })
        {
            string activation = relu ? "relu" : "tanh";
            float[] gates = t.Take(rows * hidden, 4), bias = t.Take(hidden, 1);
            var h = new Guarded((rows - 1) * ld + hidden, fill: 7f);
            CellSteps.RnnForward(gates, bias, h.Span, ld, rows, hidden, relu, t.Path);
            h.AssertGuardsIntact();
            double[] expectedH = ReferenceRnnCell.Forward(gates, bias, rows, hidden, relu);
            float[] hCompact = Unstride(h.ToArray(), rows, hidden, ld);
            for (int k = 0; k < rows * hidden; k++)
                AssertClose(expectedH[k], hCompact[k], 8 * Eps * (1 + Math.Abs(expectedH[k])), $"{activation} h[{k}]");

            float[] dyStrided = t.Take((rows - 1) * ld + hidden, 3), dhRecurrent = t.Take(rows * hidden, 3);
            var dG = new Guarded(rows * hidden);
            CellSteps.RnnBackward(h.Span, ld, dyStrided, ld, dhRecurrent, dG.Span, rows, hidden, relu, t.Path);
            dG.AssertGuardsIntact();
            float[] dh = Unstride(dyStrided, rows, hidden, ld).Zip(dhRecurrent, (a, b) => a + b).ToArray();
            double[] expectedDg = ReferenceRnnCell.Backward(hCompact, dh, rows, hidden, relu);
            for (int k = 0; k < rows * hidden; k++)
                AssertClose(expectedDg[k], dG.Span[k], 8 * Eps * (Math.Abs(dh[k]) + 1e-30) * 2, $"{activation} dG[{k}]");
        }
    }

    private static float[] Unstride(float[] strided, int rows, int hidden, int ld)
    {
        var compact = new float[rows * hidden];
        for (int r = 0; r < rows; r++) Array.Copy(strided, r * ld, compact, r * hidden, hidden);
        return compact;
    }

    private static void AssertClose(double expected, float actual, double bound, string what) =>
        Assert.True(Math.Abs(actual - expected) <= bound, $"{what}: {actual:R} vs reference {expected:R} (bound {bound:E3})");
}
