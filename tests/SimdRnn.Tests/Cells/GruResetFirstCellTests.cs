using FsCheck.Xunit;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Cells;

/// <summary>
/// The two phases of the fused step of the GRU that resets before the recurrent product, forward and backward, against
/// their formulas in double precision (the products between the phases are the layers' GEMMs). Stated bound: every
/// output within 16 eps (1 + |hPrev|) forward and 32 eps scale backward, eps = 2^-24, as for the other cells.
/// </summary>
[Trait("Category", "Kernel")]
public class GruResetFirstCellTests
{
    private const double Eps = 1.0 / (1 << 24);

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    [Property(Arbitrary = [typeof(CellShapeArbitraries)], MaxTest = 80)]
    public void Forward_phases_match_their_formulas(CellShapeCase t)
    {
        int rows = t.Rows, hidden = t.Hidden, ld = t.Ld, gw = 3 * hidden;
        float[] gates = t.Take(rows * gw, 4), bias = t.Take(gw, 1), hPrev = t.Take((rows - 1) * ld + hidden, 2);
        var phased = new Guarded(gates);
        var resetProduct = new Guarded((rows - 1) * ld + hidden, fill: 7f);
        var h = new Guarded((rows - 1) * ld + hidden, fill: 7f);
        CellSteps.GruResetFirstForward(0, phased.Span, bias, hPrev, ld, resetProduct.Span, ld, h.Span, ld, rows, hidden, save: true, t.Path);
        // Between the phases the layers add (r * h) W_hn^T onto the n columns; any values serve to check phase 1.
        float[] candidateProduct = t.Take(rows * hidden, 3);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < hidden; j++) phased.Span[r * gw + 2 * hidden + j] += candidateProduct[r * hidden + j];
        float[] afterPhase0 = phased.ToArray();
        CellSteps.GruResetFirstForward(1, phased.Span, bias, hPrev, ld, resetProduct.Span, ld, h.Span, ld, rows, hidden, save: true, t.Path);
        foreach (Guarded buffer in new[] { phased, resetProduct, h }) buffer.AssertGuardsIntact();

        for (int r = 0; r < rows; r++)
            for (int j = 0; j < hidden; j++)
            {
                int g = r * gw + j;
                double previous = hPrev[r * ld + j], bound = 16 * Eps * (1 + Math.Abs(previous));
                double rGate = Sigmoid((double)gates[g] + bias[j]), zGate = Sigmoid((double)gates[g + hidden] + bias[hidden + j]);
                double n = Math.Tanh((double)afterPhase0[g + 2 * hidden] + bias[2 * hidden + j]);
                AssertClose(rGate, phased.Span[g], bound, $"r ({r},{j})");
                AssertClose(zGate, phased.Span[g + hidden], bound, $"z ({r},{j})");
                AssertClose(rGate * previous, resetProduct.Span[r * ld + j], bound, $"r * hPrev ({r},{j})");
                AssertClose(n, phased.Span[g + 2 * hidden], bound, $"n ({r},{j})");
                AssertClose((1 - zGate) * n + zGate * previous, h.Span[r * ld + j], bound, $"h ({r},{j})");
                if (r + 1 < rows)
                    for (int p = hidden; p < ld; p++) Assert.Equal(7f, h.Span[r * ld + p]);
            }
    }

    [Property(Arbitrary = [typeof(CellShapeArbitraries)], MaxTest = 80)]
    public void Backward_phases_match_their_formulas(CellShapeCase t)
    {
        int rows = t.Rows, hidden = t.Hidden, ld = t.Ld, gw = 3 * hidden;
        // Saved activations: r, z in (0, 1), n in (-1, 1).
        float[] saved = [.. t.Take(rows * gw, 1).Select((v, i) => i % gw < 2 * hidden ? 0.5f + 0.49f * v : 0.99f * v)];
        float[] hPrev = t.Take((rows - 1) * ld + hidden, 2), dy = t.Take((rows - 1) * ld + hidden, 3), dhRecurrent = t.Take(rows * hidden, 3);
        float[] resetProductGradient = t.Take(rows * hidden, 3);
        var gradients = new Guarded(saved);
        var dh = new Guarded(dhRecurrent);
        CellSteps.GruResetFirstBackward(0, gradients.Span, hPrev, ld, dy, ld, dh.Span, resetProductGradient, rows, hidden, t.Path);
        float[] direct = dh.ToArray();
        CellSteps.GruResetFirstBackward(1, gradients.Span, hPrev, ld, dy, ld, dh.Span, resetProductGradient, rows, hidden, t.Path);
        gradients.AssertGuardsIntact();
        dh.AssertGuardsIntact();

        for (int r = 0; r < rows; r++)
            for (int j = 0; j < hidden; j++)
            {
                int g = r * gw + j, k = r * hidden + j;
                double rGate = saved[g], z = saved[g + hidden], n = saved[g + 2 * hidden], previous = hPrev[r * ld + j];
                double total = (double)dy[r * ld + j] + dhRecurrent[k], da = resetProductGradient[k];
                double scale = (Math.Abs(dy[r * ld + j]) + Math.Abs(dhRecurrent[k]) + Math.Abs(da)) * (1 + Math.Abs(previous)) + 1e-30;
                double bound = 32 * Eps * scale;
                AssertClose(da * previous * rGate * (1 - rGate), gradients.Span[g], bound, $"dG_r ({r},{j})");
                AssertClose(total * (previous - n) * z * (1 - z), gradients.Span[g + hidden], bound, $"dG_z ({r},{j})");
                AssertClose(total * (1 - z) * (1 - n * n), gradients.Span[g + 2 * hidden], bound, $"dG_n ({r},{j})");
                AssertClose(total * z, direct[k], bound, $"direct dhPrev after phase 0 ({r},{j})");
                AssertClose(total * z + da * rGate, dh.Span[k], bound, $"direct dhPrev after phase 1 ({r},{j})");
            }
    }

    private static void AssertClose(double expected, float actual, double bound, string what) =>
        Assert.True(Math.Abs(actual - expected) <= bound, $"{what}: {actual:R} vs formula {expected:R} (bound {bound:E3})");
}
