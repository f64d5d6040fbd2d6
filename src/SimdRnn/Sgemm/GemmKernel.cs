using System.Diagnostics;
using SimdRnn.Execution;

namespace SimdRnn.Sgemm;

/// <summary>
/// The internal entry of the SGEMM, for callers whose operands are already validated (the public
/// <see cref="Gemm"/> and <see cref="PackedMatrix"/> entry points, and the layers, which size their own buffers): it
/// pins the spans and runs the driver, nothing else, so a recurrent step pays no argument checks.
/// </summary>
internal static unsafe class GemmKernel
{
    /// <summary>C = alpha op(A) op(B) + beta C (row-major, BLAS conventions as <see cref="Gemm"/>).</summary>
    public static void Multiply(in KernelContext context, MatrixOp opA, MatrixOp opB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        AssertCovers(a, m, k, lda, opA);
        AssertCovers(b, k, n, ldb, opB);
        AssertCovers(c, m, n, ldc, MatrixOp.None);
        fixed (float* aPointer = a, bPointer = b, cPointer = c)
            GemmDriver.Run(context, Operands(opA, m, n, k, alpha, aPointer, lda, c: cPointer, ldc) with
            {
                B = bPointer, Ldb = ldb, TransposeB = opB == MatrixOp.Transpose,
            }, beta);
    }

    /// <summary>
    /// C = alpha op(A) B + beta C with B (k x n) in the panel layout of <paramref name="context"/>'s path
    /// (<see cref="PackedMatrix"/> or <see cref="PackedMatrix.PackInto"/>).
    /// </summary>
    public static void MultiplyPacked(in KernelContext context, MatrixOp opA, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> packedB, float beta, Span<float> c, int ldc)
    {
        AssertCovers(a, m, k, lda, opA);
        Debug.Assert(packedB.Length >= PackedMatrix.Length(k, n, context.Path));
        AssertCovers(c, m, n, ldc, MatrixOp.None);
        fixed (float* aPointer = a, packedPointer = packedB, cPointer = c)
            GemmDriver.Run(context, Operands(opA, m, n, k, alpha, aPointer, lda, cPointer, ldc) with { PackedB = packedPointer }, beta);
    }

    private static GemmOperands Operands(MatrixOp opA, int m, int n, int k, float alpha, float* a, int lda, float* c, int ldc) => new()
    {
        A = a, Lda = lda, TransposeA = opA == MatrixOp.Transpose,
        C = c, Ldc = ldc,
        M = m, N = n, K = k, Alpha = alpha,
    };

    [Conditional("DEBUG")]
    private static void AssertCovers(ReadOnlySpan<float> span, int rows, int columns, int ld, MatrixOp op)
    {
        (int storedRows, int storedColumns) = Gemm.Shape(rows, columns, op);
        Debug.Assert(ld >= storedColumns);
        Debug.Assert(storedRows == 0 || storedColumns == 0 || span.Length >= (long)(storedRows - 1) * ld + storedColumns);
    }
}
