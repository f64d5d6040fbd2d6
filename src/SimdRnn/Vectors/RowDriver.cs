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
            nuint j = 0;
            for (; j < vectorEnd; j += (nuint)TVec.Count)
                step.Step<TVec>(row, j);
            for (; j < count; j++)
                step.Step<Vec1>(row, j);
        }
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
