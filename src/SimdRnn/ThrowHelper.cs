using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace SimdRnn;

/// <summary>Throw paths kept out of the kernels so that the hot methods stay small and inlinable.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowArgument(string paramName, string message) => throw new ArgumentException(message, paramName);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowOutOfRange(string paramName, object actual, string message) =>
        throw new ArgumentOutOfRangeException(paramName, actual, message);

    /// <summary>Throws (naming the output) when an output span shares any element with another span.</summary>
    public static void ThrowIfOverlapping(ReadOnlySpan<float> output, string outputName, ReadOnlySpan<float> other, string otherName)
    {
        if (output.Overlaps(other))
            ThrowArgument(outputName, $"{outputName} overlaps {otherName}; an output must not share memory with another argument.");
    }

    /// <summary>Exact aliasing (in place) is allowed; a shifted overlap would read already written values.</summary>
    public static void ThrowIfPartialOverlap(ReadOnlySpan<float> source, Span<float> destination, string sourceName, string destinationName)
    {
        if (source.Overlaps(destination, out int offset) && offset != 0)
            ThrowArgument(destinationName,
                $"{destinationName} overlaps {sourceName} at an offset of {offset} elements; only exact in-place use is allowed.");
    }

    /// <summary>Throws unless the destination has exactly the length of the source.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ThrowIfLengthsDiffer(int sourceLength, int destinationLength, string sourceName, string destinationName)
    {
        if (sourceLength != destinationLength)
            ThrowLengthsDiffer(sourceLength, destinationLength, sourceName, destinationName);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLengthsDiffer(int sourceLength, int destinationLength, string sourceName, string destinationName) =>
        throw new ArgumentException(
            $"{destinationName} has length {destinationLength} but {sourceName} has length {sourceLength}; they must be equal.",
            destinationName);
}
