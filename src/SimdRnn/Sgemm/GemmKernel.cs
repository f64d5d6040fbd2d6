using System.Runtime.CompilerServices;
using System.Diagnostics;
using SimdRnn.Execution;
using SimdRnn.Vectors;

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
    /// (<see cref="PackedMatrix"/> or <see cref="PackedMatrix.PackInto"/>), its values in <paramref name="format"/>.
    /// </summary>
    public static void MultiplyPacked(in KernelContext context, MatrixOp opA, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> packedB, float beta, Span<float> c, int ldc, PanelFormat format = PanelFormat.Float32)
    {
        AssertCovers(a, m, k, lda, opA);
        Debug.Assert(packedB.Length >= PackedMatrix.Length(k, n, context.Path, format));
        AssertCovers(c, m, n, ldc, MatrixOp.None);
        fixed (float* aPointer = a, packedPointer = packedB, cPointer = c)
            GemmDriver.Run(context, Operands(opA, m, n, k, alpha, aPointer, lda, cPointer, ldc) with
            {
                PackedB = packedPointer, PackedFormat = format,
            }, beta);
    }

    /// <summary>
    /// C[m0 .. m1, n0 .. n1) = op(A) B + beta C (beta 0 or 1) with B (k x n) packed on <paramref name="path"/>, on the
    /// calling thread: a team member's share of a product. n0 must be a multiple of <see cref="ColumnUnit"/> (whole
    /// packed panels); rows may start anywhere. Each element then takes the same operations as in the whole product.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyPackedTile(SimdPath path, int m0, int m1, int n0, int n1, int n, int k, float* a, int lda, float* packedB,
        float beta, float* c, int ldc, PanelFormat format = PanelFormat.Float32)
    {
        Debug.Assert(n0 % ColumnUnit(path) == 0);
        GemmDriver.RunTile(path, Operands(MatrixOp.None, m1, n, k, 1f, a, lda, c, ldc) with { PackedB = packedB, PackedFormat = format },
            beta, m0, m1, n0, n1);
    }

    /// <summary>NR of <paramref name="path"/>: column ranges of a tile start at multiples of it.</summary>
    public static int ColumnUnit(SimdPath path)
    {
        var query = new ColumnUnitQuery();
        WidthDispatch.Run(ref query, path);
        return query.Columns;
    }

    private struct ColumnUnitQuery : IWidthKernel
    {
        public int Columns;

        public void Run<TVec>() where TVec : struct, IVector<TVec> => Columns = GemmBlocking.Nr<TVec>();
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
