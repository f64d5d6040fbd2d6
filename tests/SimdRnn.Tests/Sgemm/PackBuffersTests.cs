using System.Reflection;
using System.Runtime.CompilerServices;
using SimdRnn.Sgemm;

namespace SimdRnn.Tests.Sgemm;

/// <summary>
/// The per-thread pack buffers: each pointer is 64-byte aligned with at least the length asked for inside its pinned
/// array; a thread's A and B buffers are distinct, reused while large enough (a steady state allocates nothing) and
/// grown when not, on the pinned object heap. Run on a thread of its own, whose buffers no GEMM has touched.
/// </summary>
public class PackBuffersTests
{
    [Fact]
    public void Buffers_are_aligned_large_enough_reused_and_grown()
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try { Check(); }
            catch (Exception e) { failure = e; }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
    }

    private static unsafe void Check()
    {
        const int length = 1000;
        float* a = PackBuffers.ForA(length);
        float[] aStorage = AssertInside("t_a", a, length);
        Assert.Equal(length + PackBuffers.AlignmentFloats, aStorage.Length);
        float* b = PackBuffers.ForB(length);
        float[] bStorage = AssertInside("t_b", b, length);
        Assert.NotSame(aStorage, bStorage);

        // Exactly as large, or smaller: the same memory.
        Assert.True(PackBuffers.ForA(length) == a, "reused at the same length");
        Assert.True(PackBuffers.ForA(1) == a, "reused for less");
        Assert.True(PackBuffers.ForB(length) == b, "B reused");
        Assert.Same(aStorage, Storage("t_a"));

        // One float more than the array holds past the alignment slack: a larger array.
        float* grown = PackBuffers.ForA(length + 1);
        float[] grownStorage = AssertInside("t_a", grown, length + 1);
        Assert.NotSame(aStorage, grownStorage);
        Assert.Same(bStorage, Storage("t_b"));

        float* pinned = PackBuffers.AllocatePinned(37, out float[] storage);
        Assert.Equal(37 + PackBuffers.AlignmentFloats, storage.Length);
        AssertInside(storage, pinned, 37);

        // Pinned: on the pinned object heap, which reports the oldest generation at once (a small ordinary array starts
        // in generation 0, and the GC could move it under the kernels' raw pointers).
        Assert.True(GC.GetGeneration(storage) == GC.MaxGeneration, $"a fresh pack buffer is in generation {GC.GetGeneration(storage)}: not pinned");
        Assert.True(GC.GetGeneration(grownStorage) == GC.MaxGeneration, "the grown A buffer is not pinned");
    }

    private static float[] Storage(string field) =>
        (float[])typeof(PackBuffers).GetField(field, BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;

    private static unsafe float[] AssertInside(string field, float* pointer, int length)
    {
        float[] storage = Storage(field);
        AssertInside(storage, pointer, length);
        return storage;
    }

    /// <summary>The pointer is 64-byte aligned and <paramref name="length"/> floats from it lie in the (pinned) array.</summary>
    private static unsafe void AssertInside(float[] storage, float* pointer, int length)
    {
        float* start = (float*)Unsafe.AsPointer(ref storage[0]), end = start + storage.Length;
        Assert.True((nuint)pointer % 64 == 0, $"{(nuint)pointer:x} is not 64-byte aligned");
        Assert.True(pointer >= start && pointer + length <= end, $"{length} floats at {(nuint)pointer:x} outside [{(nuint)start:x}, {(nuint)end:x})");
    }
}
