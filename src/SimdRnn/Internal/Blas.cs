namespace SimdRnn.Internal;

/// <summary>C = alpha op(A) op(B) + beta C for the layers: the blocked, packed SGEMM on the given path.</summary>
internal static class Blas
{
    public static void Sgemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, SimdPath path, int threads = -1) =>
        Gemm.Multiply(transposeA ? MatrixOp.Transpose : MatrixOp.None, transposeB ? MatrixOp.Transpose : MatrixOp.None,
            m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads, path);

    /// <summary>C = A * B + beta C with B packed by <see cref="PackedMatrix.PackInto"/>.</summary>
    public static void SgemmPacked(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> packedB,
        float beta, Span<float> c, int ldc, SimdPath path, int threads) =>
        Gemm.Multiply(MatrixOp.None, m, n, k, 1f, a, lda, packedB, beta, c, ldc, threads, path);
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
