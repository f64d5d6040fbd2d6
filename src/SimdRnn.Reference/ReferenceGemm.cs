namespace SimdRnn.Reference;

/// <summary>
/// C = alpha * op(A) * op(B) + beta * C as the textbook triple loop in double precision: the oracle of the GEMM
/// tests. Matrices are row-major with leading dimensions, as in SimdRnn's Gemm.
/// </summary>
public static class ReferenceGemm
{
    /// <summary>
    /// The m x n result (dense, row-major) in double. beta = 0 ignores C (BLAS semantics); alpha = 0 or k = 0
    /// skips the product. With <paramref name="absoluteValues"/>, every operand is replaced by its absolute value:
    /// |alpha| |op(A)||op(B)| + |beta| |C|, the scale of the rounding-error bound.
    /// </summary>
    public static double[] Multiply(bool transposeA, bool transposeB, int m, int n, int k, double alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, double beta, ReadOnlySpan<float> c, int ldc,
        bool absoluteValues = false)
    {
        Func<double, double> value = absoluteValues ? Math.Abs : x => x;
        var result = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                if (alpha != 0)
                {
                    for (int p = 0; p < k; p++)
                    {
                        double aValue = transposeA ? a[p * lda + i] : a[i * lda + p];
                        double bValue = transposeB ? b[j * ldb + p] : b[p * ldb + j];
                        sum += value(aValue) * value(bValue);
                    }
                }

                double old = beta == 0 ? 0 : value(beta) * value(c[i * ldc + j]);
                result[i * n + j] = value(alpha) * sum + old;
            }
        }

        return result;
    }
}
