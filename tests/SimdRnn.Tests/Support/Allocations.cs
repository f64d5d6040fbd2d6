namespace SimdRnn.Tests.Support;

/// <summary>
/// What a warm operation allocates on the calling thread, measured so that a one-off allocation does not read as the
/// operation's own. <see cref="GC.GetAllocatedBytesForCurrentThread"/> counts everything this thread allocates while
/// the call runs, including the runtime's own one-off work on it (a lazily created runtime structure, code being
/// installed); a single measured call once read 568 bytes on the Avx512 case and never again. A per-call allocation
/// shows in every call, so the operation is measured in several windows of two calls each and the least of them must
/// be 0; the message (or, for a one-off, the test output) lists every window.
/// </summary>
public static class Allocations
{
    private const int Windows = 4, CallsPerWindow = 2;

    public static void AssertNothingOnceWarm(Action operation, string what)
    {
        operation();
        var bytes = new long[Windows];
        for (int window = 0; window < Windows; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int call = 0; call < CallsPerWindow; call++) operation();
            bytes[window] = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.True(bytes.Min() == 0, $"{what} allocated in every window of {CallsPerWindow} warm calls: {string.Join(", ", bytes)} bytes");
        if (bytes.Max() > 0)
            TestContext.Current.TestOutputHelper?.WriteLine($"{what}: a one-off allocation on this thread in one window: {string.Join(", ", bytes)} bytes");
    }
}
