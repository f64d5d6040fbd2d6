namespace SimdRnn.Sgemm;

/// <summary>Argument checks of the GEMM entry points; the messages name the argument and the sizes involved.</summary>
internal static class GemmArguments
{
    public static void ThrowIfNegative(int value, string name)
    {
        if (value < 0) ThrowHelper.ThrowOutOfRange(name, value, $"{name} = {value}; matrix sizes must be >= 0.");
    }

    /// <summary>
    /// Checks one stored row-major matrix of <paramref name="rows"/> x <paramref name="columns"/> with leading
    /// dimension <paramref name="ld"/> and returns the part of <paramref name="span"/> it covers.
    /// </summary>
    public static ReadOnlySpan<float> Extent(ReadOnlySpan<float> span, int rows, int columns, int ld, string spanName, string ldName)
    {
        if (ld < columns || ld < 0)
            ThrowHelper.ThrowOutOfRange(ldName, ld,
                $"{ldName} = {ld} is smaller than the row length {columns} of the stored {rows} x {columns} matrix {spanName}.");
        long needed = rows == 0 || columns == 0 ? 0 : (long)(rows - 1) * ld + columns;
        if (span.Length < needed)
            ThrowHelper.ThrowArgument(spanName,
                $"{spanName} has length {span.Length} but a stored {rows} x {columns} matrix with {ldName} = {ld} needs " +
                $"(rows - 1) * {ldName} + columns = {needed} elements.");
        return span[..(int)needed];
    }

    public static void ThrowIfOverlapping(ReadOnlySpan<float> source, ReadOnlySpan<float> destination, string sourceName, string destinationName)
    {
        if (source.Overlaps(destination))
            ThrowHelper.ThrowArgument(destinationName,
                $"{destinationName} overlaps {sourceName}; the output of a matrix product must not share memory with an input.");
    }

    public static void ThrowIfMismatch(int actual, int expected, string name, string what)
    {
        if (actual != expected)
            ThrowHelper.ThrowArgument(name, $"{name}: {what} is {actual} but must be {expected}.");
    }
}
