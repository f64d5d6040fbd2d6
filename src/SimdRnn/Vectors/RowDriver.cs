using System.Runtime.CompilerServices;

namespace SimdRnn.Vectors;

/// <summary>The per-column body of a fused cell pass: computes columns [column, column + TVec.Count) of one row.</summary>
internal interface IColumnStep
{
    void Step<TVec>(int row, nuint column) where TVec : struct, IVector<TVec>;
}

/// <summary>
/// The loop of every fused multi-span pass (cells, optimizers, softmax rows): full vectors along each row, then the columns past the last full vector one lane at
/// a time with the same approximations (<see cref="Vec1"/>), so every element is read and written exactly once and
/// in-place buffers stay exact.
/// </summary>
internal static class RowDriver
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TVec, TStep>(ref TStep step, int rows, int columns)
        where TVec : struct, IVector<TVec>
        where TStep : IColumnStep, allows ref struct =>
        Run<TVec, TStep>(ref step, 0, rows, columns);

    /// <summary>Rows [<paramref name="firstRow"/>, <paramref name="endRow"/>) only (a thread's share of a pass).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TVec, TStep>(ref TStep step, int firstRow, int endRow, int columns)
        where TVec : struct, IVector<TVec>
        where TStep : IColumnStep, allows ref struct
    {
        nuint count = (nuint)columns;
        nuint vectorEnd = count - count % (nuint)TVec.Count;
        for (int row = firstRow; row < endRow; row++)
        {
            for (nuint j = 0; j < vectorEnd; j += (nuint)TVec.Count)
                step.Step<TVec>(row, j);
            if (vectorEnd < count) RunTail(ref step, row, vectorEnd, count);
        }
    }

    /// <summary>
    /// Columns [<paramref name="start"/>, <paramref name="count"/>) of a row one lane at a time: a call of its own, so
    /// that this second copy of the step's body does not take the root's inline budget (see ElementwiseKernel).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void RunTail<TStep>(ref TStep step, int row, nuint start, nuint count) where TStep : IColumnStep, allows ref struct
    {
        for (nuint j = start; j < count; j++)
            step.Step<Vec1>(row, j);
    }

    /// <summary>Element <paramref name="index"/> of a span, without a bounds check (the cell entry points assert the sizes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref float At(ReadOnlySpan<float> span, nint index) =>
        ref Unsafe.Add(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(span), index);

    /// <summary>Element <paramref name="index"/> of a writable span, without a bounds check.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref float At(Span<float> span, nint index) =>
        ref Unsafe.Add(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(span), index);
}
