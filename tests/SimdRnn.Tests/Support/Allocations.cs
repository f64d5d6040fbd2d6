namespace SimdRnn.Tests.Support;

/// <summary>
/// What a warm operation allocates on the calling thread. <see cref="GC.GetAllocatedBytesForCurrentThread"/> reads
/// the bytes handed to this thread's allocation context minus the context's unused remainder, and while other threads
/// allocate (other tests in parallel) the runtime sometimes retires the context without a collection: the reading then
/// jumps by that remainder, below one allocation quantum (8 KiB), though the thread allocated nothing. Measured: the
/// GEMM test alone never showed it (0 of 40 processes); with the other allocation tests in parallel one window in some
/// 10% of processes read 4992 to 7976 bytes with no collection counted; with an 8000-byte array allocated before each
/// window (leaving a small remainder) the same jumps read 176 to 632 bytes. So the operation runs in
/// <see cref="Windows"/> windows of a few calls, and every window must read 0 but at most one, which must stay below
/// 8 KiB: an allocation per call, or one every few calls, shows in several windows.
/// </summary>
public static class Allocations
{
    private const int Windows = 8, AllocationQuantum = 8 << 10;

    /// <summary>
    /// Runs <paramref name="operation"/> once unmeasured (unless <paramref name="warmUp"/> is false: then its first
    /// call is measured too), then in <see cref="Windows"/> windows of <paramref name="callsPerWindow"/> calls.
    /// </summary>
    public static void AssertNothingOnceWarm(Action operation, string what, int callsPerWindow = 2, bool warmUp = true)
    {
        if (warmUp) operation();
        var bytes = new long[Windows];
        var collections = new int[Windows];
        for (int window = 0; window < Windows; window++)
        {
            int collectionsBefore = GC.CollectionCount(0);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int call = 0; call < callsPerWindow; call++) operation();
            bytes[window] = GC.GetAllocatedBytesForCurrentThread() - before;
            collections[window] = GC.CollectionCount(0) - collectionsBefore;
        }

        string windows = $"{string.Join(", ", bytes)} bytes in windows of {callsPerWindow} calls (collections {string.Join(", ", collections)})";
        Assert.True(bytes.Count(b => b != 0) <= 1 && bytes.Max() < AllocationQuantum, $"{what} allocated: {windows}");
        if (bytes.Max() > 0)
            TestContext.Current.TestOutputHelper?.WriteLine($"{what}: a retired allocation context in one window: {windows}");
    }
}
