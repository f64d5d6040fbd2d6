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
