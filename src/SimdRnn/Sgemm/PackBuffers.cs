using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SimdRnn.Sgemm;

/// <summary>
/// Per-thread pack buffers: pinned (so the kernels can hold raw pointers), 64-byte aligned (whole-cache-line
/// vector loads), grown on demand and then reused, so a steady state of calls allocates nothing.
/// </summary>
internal static unsafe class PackBuffers
{
    /// <summary>Slack that lets a buffer start at a cache line.</summary>
    public const int AlignmentFloats = 16;

    [ThreadStatic] private static float[]? t_a;
    [ThreadStatic] private static float[]? t_b;

    public static float* ForA(int length) => Get(ref t_a, length);

    public static float* ForB(int length) => Get(ref t_b, length);

    /// <summary>An aligned pointer into a pinned array of at least <paramref name="length"/> floats.</summary>
    public static float* AllocatePinned(int length, out float[] storage)
    {
        storage = GC.AllocateUninitializedArray<float>(length + AlignmentFloats, pinned: true);
        return Align(storage);
    }

    private static float* Get(ref float[]? cache, int length)
    {
        if (cache is null || cache.Length < length + AlignmentFloats) return AllocatePinned(length, out cache);
        return Align(cache);
    }

    private static float* Align(float[] pinned)
    {
        nuint address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
        return (float*)((address + 63) & ~(nuint)63);
    }
}
