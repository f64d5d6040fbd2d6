using System.Runtime.CompilerServices;
using SimdRnn.Training;
using SimdRnn.Vectors;
using static SimdRnn.Vectors.RowDriver;

namespace SimdRnn;

/// <summary>Gradient clipping by value and by global L2 norm (as PyTorch's clip_grad_value_ / clip_grad_norm_).</summary>
/// <remarks>No allocation; safe for concurrent calls on different gradients.</remarks>
public static class GradientClipping
{
    /// <summary>Clamps every element of <paramref name="gradient"/> to [-limit, limit]; NaN stays NaN.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is negative or NaN.</exception>
    public static void ClipByValue(Span<float> gradient, float limit) => ClipByValue(Cpu.Path, gradient, limit);

    /// <summary><see cref="ClipByValue(Span{float}, float)"/> on <paramref name="path"/> (tests run every path through it).</summary>
    internal static void ClipByValue(SimdPath path, Span<float> gradient, float limit)
    {
        if (!(limit >= 0)) ThrowHelper.ThrowOutOfRange(nameof(limit), limit, "The clipping limit must be a non-negative number.");
        var kernel = new ClipKernel(gradient, limit);
        WidthDispatch.Run(ref kernel, path);
    }

    /// <summary>The L2 norm of all the given gradients together, accumulated in double precision.</summary>
    public static double GlobalNorm(ReadOnlySpan<Memory<float>> gradients) => GlobalNorm(Cpu.Path, gradients);

    /// <summary><see cref="GlobalNorm(ReadOnlySpan{Memory{float}})"/> on <paramref name="path"/>.</summary>
    internal static double GlobalNorm(SimdPath path, ReadOnlySpan<Memory<float>> gradients)
    {
        double sumOfSquares = 0;
        foreach (Memory<float> gradient in gradients)
        {
            var kernel = new SumOfSquaresKernel(gradient.Span);
            WidthDispatch.Run(ref kernel, path);
            sumOfSquares += kernel.Result;
        }

        return Math.Sqrt(sumOfSquares);
    }

    /// <summary>
    /// Computes the global L2 norm of <paramref name="gradients"/> and, when it exceeds <paramref name="maxNorm"/>,
    /// scales every gradient by maxNorm / (norm + 1e-6), as PyTorch does. Returns the norm before clipping. A NaN or
    /// infinite norm is returned as it is and nothing is scaled, so the caller sees it (the gradients keep their NaN).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is not a positive number.</exception>
    /// <exception cref="ArgumentException">Two of the gradients share memory (they would be scaled twice).</exception>
    public static double ClipByGlobalNorm(ReadOnlySpan<Memory<float>> gradients, float maxNorm) => ClipByGlobalNorm(Cpu.Path, gradients, maxNorm);

    /// <summary><see cref="ClipByGlobalNorm(ReadOnlySpan{Memory{float}}, float)"/> on <paramref name="path"/>.</summary>
    internal static double ClipByGlobalNorm(SimdPath path, ReadOnlySpan<Memory<float>> gradients, float maxNorm)
    {
        if (!(maxNorm > 0)) ThrowHelper.ThrowOutOfRange(nameof(maxNorm), maxNorm, "The maximum norm must be a positive number.");
        for (int i = 1; i < gradients.Length; i++)
            for (int j = 0; j < i; j++)
                if (gradients[i].Span.Overlaps(gradients[j].Span))
                    ThrowHelper.ThrowArgument(nameof(gradients), $"gradients[{i}] overlaps gradients[{j}]; each element must be scaled once.");
        double norm = GlobalNorm(path, gradients);
        double coefficient = maxNorm / (norm + 1e-6);
        if (double.IsFinite(norm) && coefficient < 1)
            foreach (Memory<float> gradient in gradients)
                VectorScale.Multiply(path, gradient.Span, (float)coefficient);
        return norm;
    }

    private ref struct ClipKernel(Span<float> gradient, float limit) : IWidthKernel, IColumnStep
    {
        private readonly Span<float> _gradient = gradient;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public void Run<TVec>() where TVec : struct, IVector<TVec> => RowDriver.Run<TVec, ClipKernel>(ref this, 1, _gradient.Length);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Step<TVec>(int row, nuint j) where TVec : struct, IVector<TVec>
        {
            ref float g = ref At(_gradient, 0);
            TVec value = TVec.Load(ref g, j);
            TVec high = TVec.Create(limit), low = TVec.Create(-limit);
            // Compare-and-select keeps NaN: a NaN lane fails both comparisons.
            value = TVec.Select(TVec.GreaterThan(value, high), high, TVec.Select(TVec.LessThan(value, low), low, value));
            TVec.Store(value, ref g, j);
        }
    }

    private ref struct SumOfSquaresKernel(ReadOnlySpan<float> values) : IWidthKernel
    {
        // Float partial sums over short blocks, added into a double: accurate for millions of elements.
        private const int Block = 1024;
        private readonly ReadOnlySpan<float> _values = values;
        public double Result;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public void Run<TVec>() where TVec : struct, IVector<TVec>
        {
            ref float start = ref At(_values, 0);
            nuint length = (nuint)_values.Length, width = (nuint)TVec.Count;
            double total = 0;
            for (nuint blockStart = 0; blockStart < length; blockStart += Block)
            {
                nuint blockEnd = Math.Min(blockStart + Block, length);
                TVec sum0 = TVec.Zero, sum1 = TVec.Zero;
                nuint i = blockStart;
                for (; i + 2 * width <= blockEnd; i += 2 * width)
                {
                    TVec a = TVec.Load(ref start, i), b = TVec.Load(ref start, i + width);
                    sum0 = TVec.MultiplyAdd(a, a, sum0);
                    sum1 = TVec.MultiplyAdd(b, b, sum1);
                }

                double partial = TVec.Sum(sum0 + sum1);
                for (; i < blockEnd; i++)
                {
                    float v = Unsafe.Add(ref start, i);
                    partial += (double)v * v;
                }

                total += partial;
            }

            Result = total;
        }
    }
}
