using System.Diagnostics;
using System.Runtime.CompilerServices;
using SimdRnn.Execution;
using SimdRnn.Vectors;

namespace SimdRnn.Sgemm;

/// <summary>sums[j] += the sum over rows of matrix[r, j] (the bias gradients), rows added in order.</summary>
internal static class ColumnSums
{
    public static void AddTo(in KernelContext context, ReadOnlySpan<float> matrix, int rows, int columns, Span<float> sums)
    {
        Debug.Assert(matrix.Length >= (long)rows * columns && sums.Length >= columns);
        var kernel = new Kernel(matrix, rows, columns, sums);
        WidthDispatch.Run(ref kernel, context.Path);
    }

    private readonly ref struct Kernel(ReadOnlySpan<float> matrix, int rows, int columns, Span<float> sums) : IWidthKernel
    {
        private readonly ReadOnlySpan<float> _matrix = matrix;
        private readonly Span<float> _sums = sums;

        // A block of columns at a time, summed down the rows in registers: each element is read once and each sum
        // stored once, instead of a read-modify-write of every sum per row.
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public void Run<TVec>() where TVec : struct, IVector<TVec>
        {
            ref float m = ref RowDriver.At(_matrix, 0);
            ref float s = ref RowDriver.At(_sums, 0);
            nuint width = (nuint)TVec.Count, count = (nuint)columns, stride = (nuint)columns;
            nuint j = 0;
            for (; j + 4 * width <= count; j += 4 * width)
            {
                TVec a0 = TVec.Load(ref s, j), a1 = TVec.Load(ref s, j + width), a2 = TVec.Load(ref s, j + 2 * width), a3 = TVec.Load(ref s, j + 3 * width);
                for (nuint r = 0, at = j; r < (nuint)rows; r++, at += stride)
                {
                    a0 += TVec.Load(ref m, at);
                    a1 += TVec.Load(ref m, at + width);
                    a2 += TVec.Load(ref m, at + 2 * width);
                    a3 += TVec.Load(ref m, at + 3 * width);
                }

                TVec.Store(a0, ref s, j);
                TVec.Store(a1, ref s, j + width);
                TVec.Store(a2, ref s, j + 2 * width);
                TVec.Store(a3, ref s, j + 3 * width);
            }

            for (; j + width <= count; j += width) Column<TVec>(ref m, ref s, j, stride);
            for (; j < count; j++) Column<Vec1>(ref m, ref s, j, stride);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Column<TVec>(ref float m, ref float s, nuint j, nuint stride) where TVec : struct, IVector<TVec>
        {
            TVec sum = TVec.Load(ref s, j);
            for (nuint r = 0, at = j; r < (nuint)rows; r++, at += stride) sum += TVec.Load(ref m, at);
            TVec.Store(sum, ref s, j);
        }
    }
}
