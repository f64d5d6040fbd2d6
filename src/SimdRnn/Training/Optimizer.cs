using System.Runtime.CompilerServices;
using SimdRnn.Vectors;
using static SimdRnn.Vectors.RowDriver;

namespace SimdRnn;

/// <summary>Vectorised parameter updates: plain SGD and Adam (PyTorch's formulation, no weight decay).</summary>
/// <remarks>All spans must have the same length; no allocation; safe for concurrent calls on different parameters.</remarks>
public static class Optimizer
{
    /// <summary>parameters -= learningRate * gradients.</summary>
    /// <exception cref="ArgumentException">The lengths differ, or the spans overlap other than exactly (the same span is allowed).</exception>
    public static void SgdStep(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate) =>
        SgdStep(Cpu.Path, parameters, gradients, learningRate);

    /// <summary><see cref="SgdStep(Span{float}, ReadOnlySpan{float}, float)"/> on <paramref name="path"/> (tests run every path through it).</summary>
    internal static void SgdStep(SimdPath path, Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate)
    {
        ThrowHelper.ThrowIfLengthsDiffer(parameters.Length, gradients.Length, nameof(parameters), nameof(gradients));
        ThrowHelper.ThrowIfPartialOverlap(gradients, parameters, nameof(gradients), nameof(parameters));
        var kernel = new SgdKernel(parameters, gradients, -learningRate);
        WidthDispatch.Run(ref kernel, path);
    }

    /// <summary>
    /// One Adam step (step counts from 1): m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
    /// p -= (lr / (1 - b1^step)) m / (sqrt(v) / sqrt(1 - b2^step) + epsilon).
    /// </summary>
    /// <exception cref="ArgumentException">The lengths differ, parameters, m and v share memory, or gradients overlaps one of
    /// them other than exactly.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is below 1.</exception>
    public static void AdamStep(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> m, Span<float> v, int step,
        float learningRate, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f) =>
        AdamStep(Cpu.Path, parameters, gradients, m, v, step, learningRate, beta1, beta2, epsilon);

    /// <summary>AdamStep on <paramref name="path"/> (tests run every path through it).</summary>
    internal static void AdamStep(SimdPath path, Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> m, Span<float> v, int step,
        float learningRate, float beta1, float beta2, float epsilon)
    {
        ThrowHelper.ThrowIfLengthsDiffer(parameters.Length, gradients.Length, nameof(parameters), nameof(gradients));
        ThrowHelper.ThrowIfLengthsDiffer(parameters.Length, m.Length, nameof(parameters), nameof(m));
        ThrowHelper.ThrowIfLengthsDiffer(parameters.Length, v.Length, nameof(parameters), nameof(v));
        ThrowHelper.ThrowIfPartialOverlap(gradients, parameters, nameof(gradients), nameof(parameters));
        ThrowHelper.ThrowIfPartialOverlap(gradients, m, nameof(gradients), nameof(m));
        ThrowHelper.ThrowIfPartialOverlap(gradients, v, nameof(gradients), nameof(v));
        ThrowHelper.ThrowIfOverlapping(m, nameof(m), parameters, nameof(parameters));
        ThrowHelper.ThrowIfOverlapping(v, nameof(v), parameters, nameof(parameters));
        ThrowHelper.ThrowIfOverlapping(v, nameof(v), m, nameof(m));
        if (step < 1) ThrowHelper.ThrowOutOfRange(nameof(step), step, "Adam steps count from 1.");
        double correction1 = 1 - Math.Pow(beta1, step), correction2 = 1 - Math.Pow(beta2, step);
        var kernel = new AdamKernel(parameters, gradients, m, v, beta1, beta2, epsilon,
            stepSize: (float)(learningRate / correction1), inverseSqrtCorrection2: (float)(1 / Math.Sqrt(correction2)));
        WidthDispatch.Run(ref kernel, path);
    }

    private ref struct SgdKernel(Span<float> parameters, ReadOnlySpan<float> gradients, float negativeRate) : IWidthKernel, IColumnStep
    {
        private readonly Span<float> _parameters = parameters;
        private readonly ReadOnlySpan<float> _gradients = gradients;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public void Run<TVec>() where TVec : struct, IVector<TVec> => RowDriver.Run<TVec, SgdKernel>(ref this, 1, _parameters.Length);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Step<TVec>(int row, nuint j) where TVec : struct, IVector<TVec>
        {
            ref float p = ref At(_parameters, 0);
            TVec.Store(TVec.MultiplyAdd(TVec.Load(ref At(_gradients, 0), j), TVec.Create(negativeRate), TVec.Load(ref p, j)), ref p, j);
        }
    }

    private ref struct AdamKernel(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> m, Span<float> v,
        float beta1, float beta2, float epsilon, float stepSize, float inverseSqrtCorrection2) : IWidthKernel, IColumnStep
    {
        private readonly Span<float> _parameters = parameters, _m = m, _v = v;
        private readonly ReadOnlySpan<float> _gradients = gradients;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public void Run<TVec>() where TVec : struct, IVector<TVec> => RowDriver.Run<TVec, AdamKernel>(ref this, 1, _parameters.Length);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Step<TVec>(int row, nuint j) where TVec : struct, IVector<TVec>
        {
            ref float p = ref At(_parameters, 0);
            ref float mRef = ref At(_m, 0);
            ref float vRef = ref At(_v, 0);
            TVec g = TVec.Load(ref At(_gradients, 0), j);
            TVec mNew = TVec.MultiplyAdd(TVec.Create(beta1), TVec.Load(ref mRef, j), TVec.Create(1 - beta1) * g);
            TVec vNew = TVec.MultiplyAdd(TVec.Create(beta2), TVec.Load(ref vRef, j), TVec.Create(1 - beta2) * (g * g));
            TVec denominator = TVec.MultiplyAdd(TVec.Sqrt(vNew), TVec.Create(inverseSqrtCorrection2), TVec.Create(epsilon));
            TVec.Store(mNew, ref mRef, j);
            TVec.Store(vNew, ref vRef, j);
            TVec.Store(TVec.Load(ref p, j) - TVec.Create(stepSize) * mNew / denominator, ref p, j);
        }
    }
}
