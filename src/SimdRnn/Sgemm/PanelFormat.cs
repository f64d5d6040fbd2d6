using System.Runtime.CompilerServices;
using SimdRnn.Vectors;

namespace SimdRnn.Sgemm;

/// <summary>How a packed B holds its values: float32, or bfloat16 (half the bytes to stream, widened in registers).</summary>
internal enum PanelFormat
{
    Float32,
    BFloat16,
}

/// <summary>The storage of a <see cref="PanelFormat"/>, for the code that sizes and lays out packed panels.</summary>
internal static class PanelFormats
{
    /// <summary>
    /// Storage words (floats) of <paramref name="values"/> packed values, a whole number of NR-wide lines: one value per
    /// word in float32, two in bfloat16 (<see cref="BFloat16Panel"/>: half the words).
    /// </summary>
    public static long Words(this PanelFormat format, long values) => format == PanelFormat.BFloat16 ? values / 2 : values;
}

/// <summary>
/// The element format of packed B micro-panels, as the microkernel reads them: one NR-wide line of a panel per k,
/// loaded as the two vectors of the register tile. Storage is counted in floats (4-byte words) either way.
/// </summary>
internal interface IPanelFormat
{
    /// <summary>Storage words of one NR-wide line of a micro-panel.</summary>
    static abstract int WordsPerLine<TVec>() where TVec : struct, IVector<TVec>;

    /// <summary>The NR values of the line at <paramref name="line"/> as float vectors (columns 0..W-1 and W..2W-1).</summary>
    static abstract unsafe void Load<TVec>(float* line, out TVec first, out TVec second) where TVec : struct, IVector<TVec>;
}

/// <summary>Float32 panels: a line is NR floats.</summary>
internal readonly struct Float32Panel : IPanelFormat
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int WordsPerLine<TVec>() where TVec : struct, IVector<TVec> => GemmBlocking.Nr<TVec>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Load<TVec>(float* line, out TVec first, out TVec second) where TVec : struct, IVector<TVec>
    {
        first = TVec.Load(ref *line, 0);
        second = TVec.Load(ref *line, (nuint)TVec.Count);
    }
}

/// <summary>
/// BFloat16 panels: a line is W 32-bit words, word i holding column i in its low half and column W + i in its high
/// half. A bfloat16 is the top half of a float32, so one shift and one mask widen both vectors exactly (.NET has no
/// bf16 dot product instruction; the accumulation stays float32 and the same chain as a float32 panel of the
/// rounded values).
/// </summary>
internal readonly struct BFloat16Panel : IPanelFormat
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int WordsPerLine<TVec>() where TVec : struct, IVector<TVec> => TVec.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Load<TVec>(float* line, out TVec first, out TVec second) where TVec : struct, IVector<TVec>
    {
        TVec words = TVec.Load(ref *line, 0);
        first = TVec.ShiftLeftBits(words, 16);
        second = words & TVec.Create(HighHalf);
    }

    private static float HighHalf => BitConverter.Int32BitsToSingle(unchecked((int)0xFFFF0000));

    /// <summary>Rounds to the nearest bfloat16 (ties to even); NaN stays NaN (quieted), infinities stay infinite.</summary>
    public static ushort Round(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        return (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
    }

    /// <summary>The float32 a bfloat16 stands for (exact).</summary>
    public static float Widen(ushort value) => BitConverter.UInt32BitsToSingle((uint)value << 16);
}
