namespace SimdRnn.Reference;

/// <summary>One GRU step (PyTorch formulation, gates r, z, n) straight from the equations, in double precision.</summary>
public static class ReferenceGruCell
{
    /// <summary>r, z, n (rows x 3H), gh_n + b_hn (rows x H) and h (rows x H) of one forward step.</summary>
    public sealed record ForwardResult(double[] Gates, double[] Ghn, double[] H);

    /// <summary>dGi (rows x 3H), dGh (rows x 3H) and the direct part dh z of dhPrev (rows x H).</summary>
    public sealed record BackwardResult(double[] DGi, double[] DGh, double[] DhPrevDirect);

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>Forward from gi = x W_ih^T and gh = hPrev W_hh^T (rows x 3H, no biases) and hPrev (rows x H).</summary>
    public static ForwardResult Forward(float[] gi, float[] gh, float[] bi, float[] bh, float[] hPrev, int rows, int hidden)
    {
        var gates = new double[rows * 3 * hidden];
        var ghn = new double[rows * hidden];
        var h = new double[rows * hidden];
        for (int row = 0; row < rows; row++)
            for (int j = 0; j < hidden; j++)
            {
                int Index(int gate) => (row * 3 + gate) * hidden + j;
                double r = Sigmoid((double)gi[Index(0)] + bi[j] + gh[Index(0)] + bh[j]);
                double z = Sigmoid((double)gi[Index(1)] + bi[hidden + j] + gh[Index(1)] + bh[hidden + j]);
                double hn = (double)gh[Index(2)] + bh[2 * hidden + j];
                double n = Math.Tanh((double)gi[Index(2)] + bi[2 * hidden + j] + r * hn);
                h[row * hidden + j] = (1 - z) * n + z * hPrev[row * hidden + j];
                (gates[Index(0)], gates[Index(1)], gates[Index(2)]) = (r, z, n);
                ghn[row * hidden + j] = hn;
            }

        return new ForwardResult(gates, ghn, h);
    }

    /// <summary>Backward of one step from the saved r, z, n, gh_n + b_hn, hPrev and the total dh.</summary>
    public static BackwardResult Backward(float[] gates, float[] ghn, float[] hPrev, float[] dh, int rows, int hidden)
    {
        var dGi = new double[rows * 3 * hidden];
        var dGh = new double[rows * 3 * hidden];
        var dhPrev = new double[rows * hidden];
        for (int row = 0; row < rows; row++)
            for (int j = 0; j < hidden; j++)
            {
                int k = row * hidden + j;
                int Index(int gate) => (row * 3 + gate) * hidden + j;
                double r = gates[Index(0)], z = gates[Index(1)], n = gates[Index(2)], g = dh[k];
                double dn = g * (1 - z) * (1 - n * n);
                double dr = dn * ghn[k] * r * (1 - r);
                double dz = g * (hPrev[k] - n) * z * (1 - z);
                (dGi[Index(0)], dGi[Index(1)], dGi[Index(2)]) = (dr, dz, dn);
                (dGh[Index(0)], dGh[Index(1)], dGh[Index(2)]) = (dr, dz, dn * r);
                dhPrev[k] = g * z;
            }

        return new BackwardResult(dGi, dGh, dhPrev);
    }
}

/// <summary>One vanilla RNN step straight from the equations, in double precision.</summary>
public static class ReferenceRnnCell
{
    /// <summary>h = act(gates + bias), gates = x W_ih^T + hPrev W_hh^T (rows x H), bias = b_ih + b_hh.</summary>
    public static double[] Forward(float[] gates, float[] bias, int rows, int hidden, bool relu)
    {
        var h = new double[rows * hidden];
        for (int row = 0; row < rows; row++)
            for (int j = 0; j < hidden; j++)
            {
                double pre = (double)gates[row * hidden + j] + bias[j];
                h[row * hidden + j] = relu ? Math.Max(pre, 0) : Math.Tanh(pre);
            }

        return h;
    }

    /// <summary>dG = dh act'(from h): dh (1 - h^2) for tanh, dh [h &gt; 0] for relu.</summary>
    public static double[] Backward(float[] h, float[] dh, int rows, int hidden, bool relu)
    {
        var dG = new double[rows * hidden];
        for (int k = 0; k < rows * hidden; k++)
            dG[k] = relu ? (h[k] > 0 ? dh[k] : 0) : dh[k] * (1 - (double)h[k] * h[k]);
        return dG;
    }
}
