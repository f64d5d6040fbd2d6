using System.Numerics;
using System.Runtime.InteropServices;

namespace SimdRnn.Layers;

/// <summary>
/// Dropout between stacked layers: element (layer, time t, batch row, unit) of a layer's output is kept and scaled by
/// 1/(1-p) when a counter-based hash of those four numbers and the caller's seed is at least p * 2^32, else zeroed
/// (the hash is spelled out in <c>SimdRnn.Reference/ReferenceDropout.cs</c>, which tests compare with this). Nothing
/// depends on threads, SIMD path or layout, so a mask is reproduced exactly in backward from the seed alone. The hash
/// is integer arithmetic and the scaling one multiply, the same bits at any vector width: the units of a row go
/// through <see cref="Vector{T}"/> lanes (a multiply, not a select, so NaN and infinities stay non-finite, as
/// PyTorch's x * mask / (1-p)).
/// </summary>
internal static class DropoutMask
{
    private const uint UnitStep = 0x9E3779B9u;

    /// <summary>
    /// destination = source times the mask of <paramref name="layer"/>, over a sequence tensor of rows of
    /// <paramref name="width"/> floats; source and destination may be the same memory. Dense (no
    /// <paramref name="stepOffsets"/>): T*N rows stored time-major or batch-first (<paramref name="shape"/>'s layout).
    /// Packed: time t is rows [stepOffsets[t], stepOffsets[t + 1]), packed row i of a step being batch row
    /// <paramref name="order"/>[i] (<see cref="PackedBatch"/>); the rows past the last step are not touched. Either way
    /// the mask of a row is keyed on its batch row, so it is the same wherever the row is stored.
    /// </summary>
    public static void Apply(in DirectionShape shape, ReadOnlySpan<int> stepOffsets, ReadOnlySpan<int> order, ulong seed, int layer,
        float probability, int width, ReadOnlySpan<float> source, Span<float> destination)
    {
        uint threshold = Threshold(probability);
        float scale = 1f / (1f - probability);
        bool packed = !stepOffsets.IsEmpty;
        int rowStride = packed ? width : shape.RowStride(width);
        for (int t = 0; t < shape.Steps; t++)
        {
            int start = packed ? stepOffsets[t] * width : (int)shape.StepStart(t, width);
            int rows = packed ? stepOffsets[t + 1] - stepOffsets[t] : shape.Batch;
            for (int i = 0; i < rows; i++)
            {
                int offset = start + i * rowStride;
                ApplyRow(RowKey(seed, layer, t, packed ? order[i] : i), threshold, scale, source.Slice(offset, width), destination.Slice(offset, width));
            }
        }
    }

    /// <summary>The hash at or above which an element is kept: p * 2^32, rounded down (exact for every float p in [0, 1)).</summary>
    public static uint Threshold(float probability) => (uint)Math.Floor(probability * 4294967296.0);

    /// <summary>The per-row part of the hash: SplitMix64 over the seed, the layer, the time and the row.</summary>
    public static uint RowKey(ulong seed, int layer, int time, int row)
    {
        ulong k = SplitMix64(unchecked(seed + 0x9E3779B97F4A7C15UL * (ulong)(layer + 1)));
        k = SplitMix64(unchecked(k + (ulong)time));
        k = SplitMix64(unchecked(k + (ulong)row));
        return (uint)k ^ (uint)(k >> 32);
    }

    /// <summary>The hash of one unit of a row (MurmurHash3's 32-bit finalizer).</summary>
    public static uint UnitHash(uint rowKey, int unit) => Fmix32(unchecked(rowKey + (uint)unit * UnitStep));

    private static void ApplyRow(uint rowKey, uint threshold, float scale, ReadOnlySpan<float> source, Span<float> destination)
    {
        int unit = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ReadOnlySpan<Vector<float>> sourceVectors = MemoryMarshal.Cast<float, Vector<float>>(source);
            Span<Vector<float>> destinationVectors = MemoryMarshal.Cast<float, Vector<float>>(destination);
            Vector<uint> thresholds = new(threshold), scaleBits = new(BitConverter.SingleToUInt32Bits(scale));
            Vector<uint> units = Vector<uint>.Indices * new Vector<uint>(UnitStep) + new Vector<uint>(rowKey);
            Vector<uint> step = new(unchecked((uint)Vector<uint>.Count * UnitStep));
            for (int v = 0; v < sourceVectors.Length; v++, units += step)
            {
                Vector<uint> kept = Vector.GreaterThanOrEqual(Fmix32(units), thresholds);
                destinationVectors[v] = sourceVectors[v] * Vector.AsVectorSingle(kept & scaleBits);
            }

            unit = sourceVectors.Length * Vector<float>.Count;
        }

        for (; unit < source.Length; unit++)
            destination[unit] = source[unit] * (UnitHash(rowKey, unit) >= threshold ? scale : 0f);
    }

    private static ulong SplitMix64(ulong z)
    {
        unchecked
        {
            z += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    private static uint Fmix32(uint h)
    {
        unchecked
        {
            h ^= h >> 16;
            h *= 0x85EBCA6Bu;
            h ^= h >> 13;
            h *= 0xC2B2AE35u;
            return h ^ (h >> 16);
        }
    }

    private static Vector<uint> Fmix32(Vector<uint> h)
    {
        h ^= Vector.ShiftRightLogical(h, 16);
        h *= new Vector<uint>(0x85EBCA6Bu);
        h ^= Vector.ShiftRightLogical(h, 13);
        h *= new Vector<uint>(0xC2B2AE35u);
        return h ^ Vector.ShiftRightLogical(h, 16);
    }
}
