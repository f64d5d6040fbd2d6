using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SimdRnn.Internal;

/// <summary>
/// C = alpha op(A) op(B) + beta C, row-major, for the layers. This is the interim engine (row-wise AXPY and dot
/// products over the vector width, unblocked) until the packed, blocked SGEMM of issue 3 replaces its body; the
/// signature is the one the layers need. beta = 0 never reads C. Callers validate sizes.
/// </summary>
internal static class Blas
{
    public static void Sgemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, SimdPath path)
    {
        if (m == 0 || n == 0) return;
        var kernel = new Kernel(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        WidthDispatch.Run(ref kernel, path);
    }

    private readonly ref struct Kernel(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc) : IWidthKernel
    {
        private readonly ReadOnlySpan<float> _a = a, _b = b;
        private readonly Span<float> _c = c;

        public void Run<TVec>() where TVec : struct, IVector<TVec>
        {
            float[]? rented = transposeA && transposeB ? ArrayPool<float>.Shared.Rent(k) : null;
            try
            {
                for (int i = 0; i < m; i++)
                {
                    Span<float> row = _c.Slice(i * ldc, n);
                    if (beta == 0) row.Clear();
                    else if (beta != 1) VectorScale.Multiply(row, beta);
                    if (!transposeB)
                    {
                        for (int p = 0; p < k; p++)
                        {
                            float scale = alpha * (transposeA ? _a[p * lda + i] : _a[i * lda + p]);
                            Axpy<TVec>(scale, _b.Slice(p * ldb, n), row);
                        }
                    }
                    else
                    {
                        ReadOnlySpan<float> aRow = _a.Slice(i * lda, transposeA ? 0 : k);
                        if (rented != null)
                        {
                            for (int p = 0; p < k; p++) rented[p] = _a[p * lda + i];
                            aRow = rented.AsSpan(0, k);
                        }

                        for (int j = 0; j < n; j++)
                            row[j] += alpha * Dot<TVec>(aRow, _b.Slice(j * ldb, k));
                    }
                }
            }
            finally
            {
                if (rented != null) ArrayPool<float>.Shared.Return(rented);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Axpy<TVec>(float scale, ReadOnlySpan<float> x, Span<float> y) where TVec : struct, IVector<TVec>
        {
            ref float xs = ref MemoryMarshal.GetReference(x);
            ref float ys = ref MemoryMarshal.GetReference(y);
            TVec s = TVec.Create(scale);
            nuint length = (nuint)y.Length, i = 0;
            for (; i + (nuint)TVec.Count <= length; i += (nuint)TVec.Count)
                TVec.Store(TVec.MultiplyAdd(s, TVec.Load(ref xs, i), TVec.Load(ref ys, i)), ref ys, i);
            for (; i < length; i++)
                Unsafe.Add(ref ys, i) += scale * Unsafe.Add(ref xs, i);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float Dot<TVec>(ReadOnlySpan<float> x, ReadOnlySpan<float> y) where TVec : struct, IVector<TVec>
        {
            ref float xs = ref MemoryMarshal.GetReference(x);
            ref float ys = ref MemoryMarshal.GetReference(y);
            TVec sum = TVec.Zero;
            nuint length = (nuint)x.Length, i = 0;
            for (; i + (nuint)TVec.Count <= length; i += (nuint)TVec.Count)
                sum = TVec.MultiplyAdd(TVec.Load(ref xs, i), TVec.Load(ref ys, i), sum);
            float total = TVec.Sum(sum);
            for (; i < length; i++)
                total += Unsafe.Add(ref xs, i) * Unsafe.Add(ref ys, i);
            return total;
        }
    }
}

/// <summary>a + b.</summary>
internal readonly struct AddOperator : IBinaryOperator
{
    public static TVec Invoke<TVec>(TVec a, TVec b) where TVec : struct, IVector<TVec> => a + b;
}

/// <summary>sums[j] += sum over rows of matrix[r, j] (the bias gradients).</summary>
internal static class ColumnSums
{
    public static void AddTo(ReadOnlySpan<float> matrix, int rows, int columns, Span<float> sums, SimdPath path)
    {
        for (int r = 0; r < rows; r++)
            Elementwise.Binary<AddOperator>(sums, matrix.Slice(r * columns, columns), sums, path);
    }
}
