namespace SimdRnn.Reference;

/// <summary>
/// The dropout mask between stacked layers, from its definition: element (layer, time t, batch row, unit) of a layer's
/// output is kept, and scaled by 1/(1-p), when a counter-based hash of (seed, layer, t, row, unit) is at least p * 2^32;
/// otherwise it is zeroed. The hash: k = SplitMix64(seed + 0x9E3779B97F4A7C15 (layer + 1)), then k = SplitMix64(k + t),
/// k = SplitMix64(k + row); key = low 32 bits of k xor high 32 bits; hash = fmix32(key + unit * 0x9E3779B9) (MurmurHash3's
/// finalizer), all arithmetic wrapping. The mask depends only on these five numbers, never on threads, SIMD path or layout.
/// </summary>
public static class ReferenceDropout
{
    /// <summary>0 (dropped) or 1/(1-p) (kept) for one element; p is the float probability, as the library takes it.</summary>
    public static double Factor(ulong seed, int layer, int time, int row, int unit, double p) =>
        Keeps(seed, layer, time, row, unit, (float)p) ? 1 / (1 - (double)(float)p) : 0;

    /// <summary>Whether the element survives dropout with probability <paramref name="p"/> of being dropped.</summary>
    public static bool Keeps(ulong seed, int layer, int time, int row, int unit, float p)
    {
        ulong k = SplitMix64(unchecked(seed + 0x9E3779B97F4A7C15UL * (ulong)(layer + 1)));
        k = SplitMix64(unchecked(k + (ulong)time));
        k = SplitMix64(unchecked(k + (ulong)row));
        uint key = (uint)k ^ (uint)(k >> 32);
        uint hash = Fmix32(unchecked(key + (uint)unit * 0x9E3779B9u));
        double threshold = Math.Floor((double)p * 4294967296.0);
        return hash >= threshold;
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
}
