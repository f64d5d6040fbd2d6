namespace SimdRnn.Execution;

/// <summary>
/// How an internal kernel runs: the SIMD path of its instantiation and the most threads it may use. Public entry
/// points validate their arguments, make one context and hand both over; nothing below them validates again.
/// </summary>
/// <param name="Path">The path whose vector width the kernels take (tests pass narrower ones to run every path in-process).</param>
/// <param name="Threads">The thread budget, at least 1 (-1 is resolved by <see cref="Create"/>).</param>
internal readonly record struct KernelContext(SimdPath Path, int Threads)
{
    /// <summary>The context of a public call: <paramref name="path"/> and <paramref name="maxDegreeOfParallelism"/> (-1 = every processor).</summary>
    public static KernelContext Create(int maxDegreeOfParallelism = -1, SimdPath? path = null) =>
        new(path ?? Cpu.Path, maxDegreeOfParallelism == -1 ? Environment.ProcessorCount : maxDegreeOfParallelism);
}
