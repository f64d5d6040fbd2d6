using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using CommunityToolkit.HighPerformance;
using SimdRnn.Execution;
using SimdRnn.Sgemm;

namespace SimdRnn;

/// <summary>
/// Single-precision matrix product C = alpha * op(A) * op(B) + beta * C on row-major matrices (SGEMM), blocked and
/// packed in the Goto/BLIS way with a register-tile kernel for every <see cref="SimdPath"/>.
/// </summary>
/// <remarks>
/// <para>op(A) is m x k, op(B) is k x n, C is m x n. A stored matrix of r rows and c columns with leading
/// dimension ld occupies (r - 1) * ld + c elements; ld must be at least c. Only C's m x n elements are written
/// (its ld padding is left untouched).</para>
/// <para>beta = 0 never reads C (NaN in C is ignored, as in BLAS); beta = 1 accumulates in place. When alpha = 0
/// or k = 0, op(A) * op(B) is not evaluated and C = beta * C.</para>
/// <para>Accuracy: each element is the k-term sum accumulated in order in single precision (with fused
/// multiply-adds where the path has them), so |C - exact| &lt;= 3 * max(k, 1) * 2^-24 * (|alpha| |A||B| + |beta| |C|)
/// element-wise, where |A||B| is the product of the absolute values.</para>
/// <para>Threads: up to <c>maxDegreeOfParallelism</c> (-1 = <see cref="Environment.ProcessorCount"/>). C is split
/// into column (or row) ranges, never along k, and each element takes the same operations whatever the split, so
/// the result is bitwise identical for any thread count. The methods are safe to call from many threads at once
/// on disjoint outputs; a steady state of calls allocates no pack buffers.</para>
/// </remarks>
public static class Gemm
{
    /// <summary>C = alpha * op(A) * op(B) + beta * C, with explicit sizes and leading dimensions (BLAS order).</summary>
    /// <param name="opA">Whether A is used as stored (m x k) or transposed (stored k x m).</param>
    /// <param name="opB">Whether B is used as stored (k x n) or transposed (stored n x k).</param>
    /// <param name="m">Rows of op(A) and of C.</param>
    /// <param name="n">Columns of op(B) and of C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A, row-major, as stored.</param>
    /// <param name="lda">Leading dimension (row pitch in elements) of the stored A.</param>
    /// <param name="b">B, row-major, as stored.</param>
    /// <param name="ldb">Leading dimension of the stored B.</param>
    /// <param name="beta">Scale of the old C; 0 ignores C's old contents.</param>
    /// <param name="c">C, row-major m x n.</param>
    /// <param name="ldc">Leading dimension of C.</param>
    /// <param name="maxDegreeOfParallelism">Most threads to use; -1 for all processors.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative, a leading dimension is smaller than its row
    /// length, an operation is not a <see cref="MatrixOp"/>, or the thread count is 0 or below -1.</exception>
    /// <exception cref="ArgumentException">A span is shorter than its matrix needs, or <paramref name="c"/> overlaps
    /// <paramref name="a"/> or <paramref name="b"/>.</exception>
    public static void Multiply(MatrixOp opA, MatrixOp opB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        int maxDegreeOfParallelism = -1) =>
        Multiply(opA, opB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, maxDegreeOfParallelism, Cpu.Path);

    /// <summary>C = alpha * op(A) * op(B) + beta * C on 2D views; sizes and leading dimensions (width + pitch) come from the views.</summary>
    /// <param name="a">A as stored: m x k, or k x m when <paramref name="opA"/> is <see cref="MatrixOp.Transpose"/>.</param>
    /// <param name="b">B as stored: k x n, or n x k when <paramref name="opB"/> is <see cref="MatrixOp.Transpose"/>.</param>
    /// <param name="c">C, m x n.</param>
    /// <param name="opA">How A is used.</param>
    /// <param name="opB">How B is used.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the old C; 0 ignores C's old contents.</param>
    /// <param name="maxDegreeOfParallelism">Most threads to use; -1 for all processors.</param>
    /// <exception cref="ArgumentException">The inner sizes or C's size do not match, or C overlaps A or B.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An operation is not a <see cref="MatrixOp"/> or the thread count is 0 or below -1.</exception>
    public static void Multiply(ReadOnlySpan2D<float> a, ReadOnlySpan2D<float> b, Span2D<float> c,
        MatrixOp opA = MatrixOp.None, MatrixOp opB = MatrixOp.None, float alpha = 1f, float beta = 0f,
        int maxDegreeOfParallelism = -1)
    {
        ThrowIfUndefined(opA, nameof(opA));
        ThrowIfUndefined(opB, nameof(opB));
        (int m, int k) = Shape(a.Height, a.Width, opA);
        (int kB, int n) = Shape(b.Height, b.Width, opB);
        GemmArguments.ThrowIfMismatch(kB, k, nameof(b), $"the row count of op(b) (op(a) is {m} x {k})");
        GemmArguments.ThrowIfMismatch(c.Height, m, nameof(c), "the row count");
        GemmArguments.ThrowIfMismatch(c.Width, n, nameof(c), "the column count");
        Multiply(opA, opB, m, n, k, alpha, Flatten(a, out int lda), lda, Flatten(b, out int ldb), ldb, beta,
            Flatten(c, out int ldc), ldc, maxDegreeOfParallelism, Cpu.Path);
    }

    /// <summary>C = alpha * op(A) * B + beta * C with B packed once by <see cref="PackedMatrix.Pack(MatrixOp, int, int, ReadOnlySpan{float}, int)"/>.</summary>
    /// <param name="opA">Whether A is used as stored (m x k) or transposed (stored k x m).</param>
    /// <param name="m">Rows of op(A) and of C.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A, row-major, as stored.</param>
    /// <param name="lda">Leading dimension of the stored A.</param>
    /// <param name="b">The packed k x n right operand.</param>
    /// <param name="beta">Scale of the old C; 0 ignores C's old contents.</param>
    /// <param name="c">C, row-major m x n.</param>
    /// <param name="ldc">Leading dimension of C.</param>
    /// <param name="maxDegreeOfParallelism">Most threads to use; -1 for all processors.</param>
    /// <exception cref="ArgumentNullException"><paramref name="b"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative, a leading dimension is too small, or the thread count is invalid.</exception>
    /// <exception cref="ArgumentException">A span is too short, or <paramref name="c"/> overlaps <paramref name="a"/>.</exception>
    public static void Multiply(MatrixOp opA, int m, float alpha, ReadOnlySpan<float> a, int lda, PackedMatrix b,
        float beta, Span<float> c, int ldc, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(b);
        ValidateAndRun(opA, MatrixOp.None, m, b.Columns, b.Rows, alpha, a, lda, [], 0, b.Span, packed: true, beta, c, ldc,
            maxDegreeOfParallelism, b.Path);
        GC.KeepAlive(b);
    }

    /// <summary>C = alpha * op(A) * B + beta * C on 2D views, with B packed once.</summary>
    /// <param name="a">A as stored: m x k, or k x m when <paramref name="opA"/> is <see cref="MatrixOp.Transpose"/>.</param>
    /// <param name="b">The packed k x n right operand.</param>
    /// <param name="c">C, m x n.</param>
    /// <param name="opA">How A is used.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the old C; 0 ignores C's old contents.</param>
    /// <param name="maxDegreeOfParallelism">Most threads to use; -1 for all processors.</param>
    /// <exception cref="ArgumentNullException"><paramref name="b"/> is null.</exception>
    /// <exception cref="ArgumentException">The inner sizes or C's size do not match, or C overlaps A.</exception>
    public static void Multiply(ReadOnlySpan2D<float> a, PackedMatrix b, Span2D<float> c, MatrixOp opA = MatrixOp.None,
        float alpha = 1f, float beta = 0f, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(b);
        ThrowIfUndefined(opA, nameof(opA));
        (int m, int k) = Shape(a.Height, a.Width, opA);
        GemmArguments.ThrowIfMismatch(b.Rows, k, nameof(b), $"the row count of the packed matrix (op(a) is {m} x {k})");
        GemmArguments.ThrowIfMismatch(c.Height, m, nameof(c), "the row count");
        GemmArguments.ThrowIfMismatch(c.Width, b.Columns, nameof(c), "the column count");
        Multiply(opA, m, alpha, Flatten(a, out int lda), lda, b, beta, Flatten(c, out int ldc), ldc, maxDegreeOfParallelism);
    }

    /// <summary>The span entry point on a chosen path (tests run every in-process path through it).</summary>
    internal static void Multiply(MatrixOp opA, MatrixOp opB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        int maxDegreeOfParallelism, SimdPath path) =>
        ValidateAndRun(opA, opB, m, n, k, alpha, a, lda, b, ldb, [], packed: false, beta, c, ldc, maxDegreeOfParallelism, path);

    /// <summary>Every check of the public entry points, once; then the product runs on validated operands.</summary>
    private static void ValidateAndRun(MatrixOp opA, MatrixOp opB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, ReadOnlySpan<float> packedB, bool packed, float beta,
        Span<float> c, int ldc, int maxDegreeOfParallelism, SimdPath path)
    {
        ThrowIfUndefined(opA, nameof(opA));
        ThrowIfUndefined(opB, nameof(opB));
        GemmArguments.ThrowIfNegative(m, nameof(m));
        GemmArguments.ThrowIfNegative(n, nameof(n));
        GemmArguments.ThrowIfNegative(k, nameof(k));
        Parallelism.ThrowIfInvalidBudget(maxDegreeOfParallelism, nameof(maxDegreeOfParallelism));
        (int aRows, int aColumns) = Shape(m, k, opA);
        ReadOnlySpan<float> aUsed = GemmArguments.Extent(a, aRows, aColumns, lda, nameof(a), nameof(lda));
        ReadOnlySpan<float> cUsed = GemmArguments.Extent(c, m, n, ldc, nameof(c), nameof(ldc));
        GemmArguments.ThrowIfOverlapping(aUsed, cUsed, nameof(a), nameof(c));
        var context = KernelContext.Create(maxDegreeOfParallelism, path);
        if (packed)
        {
            GemmArguments.ThrowIfOverlapping(packedB, cUsed, nameof(packedB), nameof(c));
            GemmKernel.MultiplyPacked(context, opA, m, n, k, alpha, a, lda, packedB, beta, c, ldc);
            return;
        }

        (int bRows, int bColumns) = Shape(k, n, opB);
        ReadOnlySpan<float> bUsed = GemmArguments.Extent(b, bRows, bColumns, ldb, nameof(b), nameof(ldb));
        GemmArguments.ThrowIfOverlapping(bUsed, cUsed, nameof(b), nameof(c));
        GemmKernel.Multiply(context, opA, opB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <summary>Stored rows x columns of a matrix used as <paramref name="op"/>(X) of <paramref name="rows"/> x <paramref name="columns"/> (and back: the map is its own inverse).</summary>
    internal static (int Rows, int Columns) Shape(int rows, int columns, MatrixOp op) =>
        op == MatrixOp.None ? (rows, columns) : (columns, rows);

    internal static void ThrowIfUndefined(MatrixOp op, string name)
    {
        if (op is not (MatrixOp.None or MatrixOp.Transpose))
            ThrowHelper.ThrowOutOfRange(name, op, $"{name} must be MatrixOp.None or MatrixOp.Transpose.");
    }

    /// <summary>The elements a 2D view covers, as one span, and its leading dimension (width + pitch).</summary>
    internal static ReadOnlySpan<float> Flatten(ReadOnlySpan2D<float> view, out int ld)
    {
        ld = view.Height > 1 ? RowDistance(ref view.DangerousGetReference(), ref view.DangerousGetReferenceAt(1, 0)) : view.Width;
        return view.IsEmpty ? [] : MemoryMarshal.CreateReadOnlySpan(ref view.DangerousGetReference(), checked((view.Height - 1) * ld + view.Width));
    }

    private static Span<float> Flatten(Span2D<float> view, out int ld)
    {
        ld = view.Height > 1 ? RowDistance(ref view.DangerousGetReference(), ref view.DangerousGetReferenceAt(1, 0)) : view.Width;
        return view.IsEmpty ? [] : MemoryMarshal.CreateSpan(ref view.DangerousGetReference(), checked((view.Height - 1) * ld + view.Width));
    }

    // Span2D keeps its pitch private; the distance between two rows is the leading dimension.
    private static int RowDistance(ref float firstRow, ref float secondRow) =>
        (int)(Unsafe.ByteOffset(ref firstRow, ref secondRow) / sizeof(float));
}
