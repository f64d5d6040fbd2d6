using System.Numerics;
using System.Runtime.CompilerServices;

namespace SimdRnn.Serialization;

/// <summary>A 16-bit float format widened exactly to float32: a vector of values (zero-extended to 32-bit lanes) or one.</summary>
internal interface IWidening
{
    static abstract Vector<float> Widen(Vector<uint> bits);

    static abstract float Widen(ushort bits);
}

/// <summary>IEEE binary16 (every half is a float, so the conversion is exact).</summary>
internal readonly struct HalfWidening : IWidening
{
    /// <summary>
    /// Without a branch: the exponent and fraction shifted into float32's places read as a float 2^112 too small (bias 15
    /// against 127), so one multiply by 2^112 rebiases a normal half and normalizes a subnormal one, both exactly;
    /// infinities and NaNs (exponent all ones) take float32's all-ones exponent instead.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Widen(Vector<uint> bits)
    {
        Vector<uint> magnitude = (bits & new Vector<uint>(0x7FFF)) << 13;
        Vector<uint> finite = Vector.AsVectorUInt32(Vector.AsVectorSingle(magnitude) * new Vector<float>(BitConverter.UInt32BitsToSingle(0x7780_0000))); // 2^112
        Vector<uint> special = Vector.GreaterThanOrEqual(magnitude, new Vector<uint>(0x7C00u << 13));
        Vector<uint> result = Vector.ConditionalSelect(special, magnitude | new Vector<uint>(0x7F80_0000), finite);
        return Vector.AsVectorSingle(result | ((bits & new Vector<uint>(0x8000)) << 16));
    }

    public static float Widen(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);
}

/// <summary>bfloat16, the top half of a float32: shifting it back up is the exact conversion.</summary>
internal readonly struct BFloat16Widening : IWidening
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Widen(Vector<uint> bits) => Vector.AsVectorSingle(bits << 16);

    public static float Widen(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);
}

internal static class Widening
{
    /// <summary>AggressiveOptimization: a checkpoint is loaded once, so tiering would run the whole load in tier-0 code.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ToSingle<TFormat>(ReadOnlySpan<ushort> bits, Span<float> destination) where TFormat : IWidening
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i <= bits.Length - Vector<ushort>.Count; i += Vector<ushort>.Count)
            {
                Vector.Widen(new Vector<ushort>(bits[i..]), out Vector<uint> low, out Vector<uint> high);
                TFormat.Widen(low).CopyTo(destination[i..]);
                TFormat.Widen(high).CopyTo(destination[(i + Vector<uint>.Count)..]);
            }

        for (; i < bits.Length; i++) destination[i] = TFormat.Widen(bits[i]);
    }
}
