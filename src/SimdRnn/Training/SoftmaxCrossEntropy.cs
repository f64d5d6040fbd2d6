using System.Runtime.CompilerServices;
using SimdRnn.Activations;
using SimdRnn.Training;
using SimdRnn.Vectors;
using static SimdRnn.Vectors.RowDriver;

namespace SimdRnn;

/// <summary>Softmax and cross-entropy loss with its gradient, fused in one kernel (numerically stable: max subtracted).</summary>
public static class SoftmaxCrossEntropy
{
    /// <summary>
    /// For each row of <paramref name="logits"/> (rows x classes, row-major): loss_r = log(sum_k e^{x_k}) - x_target,
    /// and dLogits = gradientScale * (softmax(x) - onehot(target)). Returns the sum of the row losses (in double).
    /// <paramref name="dLogits"/> may be <paramref name="logits"/> itself. NaN in a row gives a NaN loss and NaN
    /// gradients for that row. Typical use: gradientScale = 1 / rows for a mean loss.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths do not match rows x classes, or dLogits overlaps logits at an offset.</exception>
    /// <exception cref="ArgumentOutOfRangeException">classes is below 1, or a target is outside [0, classes).</exception>
    public static double ForwardBackward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, Span<float> dLogits, int classes,
        float gradientScale = 1f) =>
        ForwardBackward(Cpu.Path, logits, targets, dLogits, classes, gradientScale);

    /// <summary>ForwardBackward on <paramref name="path"/> (tests run every path through it).</summary>
    internal static double ForwardBackward(SimdPath path, ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, Span<float> dLogits, int classes,
        float gradientScale)
    {
        if (classes < 1) ThrowHelper.ThrowOutOfRange(nameof(classes), classes, "There must be at least one class.");
        if ((long)targets.Length * classes != logits.Length)
            ThrowHelper.ThrowArgument(nameof(logits),
                $"logits has length {logits.Length} but targets has {targets.Length} rows of {classes} classes ({(long)targets.Length * classes}).");
        ThrowHelper.ThrowIfLengthsDiffer(logits.Length, dLogits.Length, nameof(logits), nameof(dLogits));
        ThrowHelper.ThrowIfPartialOverlap(logits, dLogits, nameof(logits), nameof(dLogits));
        foreach (int target in targets)
            if ((uint)target >= (uint)classes)
                ThrowHelper.ThrowOutOfRange(nameof(targets), target, $"Every target must be in [0, {classes}).");

        var kernel = new RowKernel(logits, targets, dLogits, classes, gradientScale);
        WidthDispatch.Run(ref kernel, path);
        return kernel.Loss;
    }

    private ref struct RowKernel(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, Span<float> dLogits, int classes, float scale)
        : IWidthKernel
    {
        private readonly ReadOnlySpan<float> _logits = logits;
        private readonly ReadOnlySpan<int> _targets = targets;
        private readonly Span<float> _dLogits = dLogits;
        public double Loss;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public void Run<TVec>() where TVec : struct, IVector<TVec>
        {
            double loss = 0;
            for (int row = 0; row < _targets.Length; row++)
            {
                ReadOnlySpan<float> x = _logits.Slice(row * classes, classes);
                Span<float> d = _dLogits.Slice(row * classes, classes);
                float target = x[_targets[row]];
                var max = new RowMax(x);
                RowDriver.Run<TVec, RowMax>(ref max, 1, classes);
                var exp = new RowExp(x, d, max.Value);
                RowDriver.Run<TVec, RowExp>(ref exp, 1, classes);
                loss += max.Value + Math.Log(exp.Sum) - target;
                var normalize = new VectorScale.ScaleKernel(d, (float)(scale / exp.Sum));
                RowDriver.Run<TVec, VectorScale.ScaleKernel>(ref normalize, 1, classes);
                d[_targets[row]] -= scale;
            }

            Loss = loss;
        }
    }

    private ref struct RowMax(ReadOnlySpan<float> x) : IColumnStep
    {
        private readonly ReadOnlySpan<float> _x = x;
        public float Value = float.NegativeInfinity;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TVec>(int row, nuint j) where TVec : struct, IVector<TVec> =>
            Value = MathF.Max(Value, TVec.MaxAcross(TVec.Load(ref At(_x, 0), j)));
    }

    private ref struct RowExp(ReadOnlySpan<float> x, Span<float> e, float max) : IColumnStep
    {
        private readonly ReadOnlySpan<float> _x = x;
        private readonly Span<float> _e = e;
        public double Sum;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TVec>(int row, nuint j) where TVec : struct, IVector<TVec>
        {
            TVec e = ActivationMath.Exp(TVec.Load(ref At(_x, 0), j) - TVec.Create(max), nonPositive: true);
            TVec.Store(e, ref At(_e, 0), j);
            Sum += TVec.Sum(e);
        }
    }
}
