namespace SimdRnn.Execution;

/// <summary>
/// The one rule for how many parts a parallel pass is split into: no more than the thread budget or the units of
/// work there are, and no part smaller than <see cref="MinWorkPerPart"/> — below that, waking a helper thread costs
/// more than it saves. Work is counted in flop-equivalents, so every pass (GEMM, pack, cell step) weighs the same.
/// </summary>
internal static class Parallelism
{
    /// <summary>About 2 M flops: tens of microseconds on one core, against a few microseconds to hand a part over.</summary>
    public const long MinWorkPerPart = 1L << 21;

    /// <summary>
    /// Reading (or copying) one float that is not in this core's cache costs about as long as sixteen flops: the
    /// weight of bandwidth-bound work (a GEMV-like product's B, a pack).
    /// </summary>
    public const long StreamedElementCost = 16;

    /// <summary>One element of a fused cell step (several activations, a dozen loads and stores).</summary>
    public const long CellElementCost = 256;

    /// <summary>Parts for <paramref name="work"/> flop-equivalents in <paramref name="units"/> indivisible units.</summary>
    public static int Parts(in KernelContext context, long units, long work) =>
        (int)Math.Max(1, Math.Min(Math.Min(context.Threads, units), work / MinWorkPerPart));

    /// <summary>Throws unless <paramref name="maxDegreeOfParallelism"/> is -1 (every processor) or positive.</summary>
    public static void ThrowIfInvalidBudget(int maxDegreeOfParallelism, string name)
    {
        if (maxDegreeOfParallelism == 0 || maxDegreeOfParallelism < -1)
            ThrowHelper.ThrowOutOfRange(name, maxDegreeOfParallelism,
                $"{name} = {maxDegreeOfParallelism}; use -1 (all processors) or a positive thread count.");
    }
}
