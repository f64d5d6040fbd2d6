namespace SimdRnn.Reference;

/// <summary>Softmax cross-entropy, optimizer steps and clipping straight from their definitions, in double precision.</summary>
public static class ReferenceTraining
{
    /// <summary>Sum of row losses and dLogits = scale (softmax - onehot).</summary>
    public static (double Loss, double[] DLogits) SoftmaxCrossEntropy(float[] logits, int[] targets, int classes, double scale)
    {
        double loss = 0;
        var d = new double[logits.Length];
        for (int r = 0; r < targets.Length; r++)
        {
            double max = double.NegativeInfinity;
            for (int k = 0; k < classes; k++) max = Math.Max(max, logits[r * classes + k]);
            double sum = 0;
            for (int k = 0; k < classes; k++) sum += Math.Exp(logits[r * classes + k] - max);
            loss += max + Math.Log(sum) - logits[r * classes + targets[r]];
            for (int k = 0; k < classes; k++)
                d[r * classes + k] = scale * (Math.Exp(logits[r * classes + k] - max) / sum - (k == targets[r] ? 1 : 0));
        }

        return (loss, d);
    }

    /// <summary>PyTorch's Adam (no weight decay, no amsgrad) on double copies; returns (p, m, v).</summary>
    public static (double[] P, double[] M, double[] V) Adam(float[] p, float[] g, float[] m, float[] v, int step, double lr,
        double beta1, double beta2, double epsilon)
    {
        var (pn, mn, vn) = (new double[p.Length], new double[p.Length], new double[p.Length]);
        double c1 = 1 - Math.Pow(beta1, step), c2 = 1 - Math.Pow(beta2, step);
        for (int i = 0; i < p.Length; i++)
        {
            mn[i] = beta1 * m[i] + (1 - beta1) * g[i];
            vn[i] = beta2 * v[i] + (1 - beta2) * (double)g[i] * g[i];
            pn[i] = p[i] - lr / c1 * mn[i] / (Math.Sqrt(vn[i]) / Math.Sqrt(c2) + epsilon);
        }

        return (pn, mn, vn);
    }

    /// <summary>The L2 norm of all values together.</summary>
    public static double GlobalNorm(IEnumerable<float[]> gradients) =>
        Math.Sqrt(gradients.SelectMany(g => g).Sum(x => (double)x * x));
}
