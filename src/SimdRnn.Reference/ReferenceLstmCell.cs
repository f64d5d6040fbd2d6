namespace SimdRnn.Reference;

/// <summary>One LSTM step (gates i, f, g, o) straight from the equations, in double precision.</summary>
public static class ReferenceLstmCell
{
    /// <summary>Activated gates (rows x 4H), c and h (rows x H) of one forward step.</summary>
    public sealed record ForwardResult(double[] Gates, double[] C, double[] H);

    /// <summary>Gate pre-activation gradients (rows x 4H) and the gradient of cPrev (rows x H).</summary>
    public sealed record BackwardResult(double[] GateGradients, double[] DcPrev);

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>pre = gates + bias; i, f, o = sigmoid, g = tanh; c = f cPrev + i g; h = o tanh(c).</summary>
    public static ForwardResult Forward(float[] gates, float[] bias, float[] cPrev, int rows, int hidden)
    {
        var activated = new double[rows * 4 * hidden];
        var c = new double[rows * hidden];
        var h = new double[rows * hidden];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < hidden; j++)
            {
                double Pre(int gate) => (double)gates[(r * 4 + gate) * hidden + j] + bias[gate * hidden + j];
                double i = Sigmoid(Pre(0)), f = Sigmoid(Pre(1)), g = Math.Tanh(Pre(2)), o = Sigmoid(Pre(3));
                double cNew = f * cPrev[r * hidden + j] + i * g;
                c[r * hidden + j] = cNew;
                h[r * hidden + j] = o * Math.Tanh(cNew);
                activated[(r * 4 + 0) * hidden + j] = i;
                activated[(r * 4 + 1) * hidden + j] = f;
                activated[(r * 4 + 2) * hidden + j] = g;
                activated[(r * 4 + 3) * hidden + j] = o;
            }

        return new ForwardResult(activated, c, h);
    }

    /// <summary>Backward of one step from the activated gates, c, cPrev, dh (total) and dc (from the next step).</summary>
    public static BackwardResult Backward(float[] activatedGates, float[] c, float[] cPrev, float[] dh, float[] dc, int rows, int hidden)
    {
        var dGates = new double[rows * 4 * hidden];
        var dcPrev = new double[rows * hidden];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < hidden; j++)
            {
                int k = r * hidden + j;
                double Gate(int gate) => activatedGates[(r * 4 + gate) * hidden + j];
                double i = Gate(0), f = Gate(1), g = Gate(2), o = Gate(3);
                double tanhC = Math.Tanh(c[k]);
                double dcTotal = dc[k] + (double)dh[k] * o * (1 - tanhC * tanhC);
                dGates[(r * 4 + 0) * hidden + j] = dcTotal * g * i * (1 - i);
                dGates[(r * 4 + 1) * hidden + j] = dcTotal * cPrev[k] * f * (1 - f);
                dGates[(r * 4 + 2) * hidden + j] = dcTotal * i * (1 - g * g);
                dGates[(r * 4 + 3) * hidden + j] = (double)dh[k] * tanhC * o * (1 - o);
                dcPrev[k] = dcTotal * f;
            }

        return new BackwardResult(dGates, dcPrev);
    }
}
