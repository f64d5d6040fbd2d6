using System.Runtime.CompilerServices;
using CommunityToolkit.HighPerformance.Helpers;

namespace SimdRnn.Internal;

/// <summary>
/// Splits a row pass (a cell step over the batch) into contiguous row ranges across threads. Rows are independent,
/// so the result is bitwise the same for any split; small passes stay on the calling thread, where waking another
/// would cost more than it saves. Each share runs <see cref="RowDriver"/> over its rows with the step of a cell
/// kernel, which holds raw pointers: the caller keeps the memory pinned for the call.
/// </summary>
internal static class RowParallel
{
    // Below about this many elements per thread a pass stays on one thread (a cell step costs a few ns per element,
    // waking a pool thread a few microseconds).
    private const long MinElementsPerThread = 8192;

    public static void Run<TKernel>(TKernel kernel, int rows, int columns, int threads, SimdPath path) where TKernel : struct, IColumnStep
    {
        int parts = (int)Math.Min(Math.Min(GemmArguments.Resolve(threads), rows), Math.Max(1, (long)rows * columns / MinElementsPerThread));
        var worker = new Worker<TKernel>(kernel, rows, columns, parts, path);
        if (parts <= 1) worker.Invoke(0);
        else ForkJoin.Run(parts, in worker);
    }

    private readonly struct Worker<TKernel>(TKernel kernel, int rows, int columns, int parts, SimdPath path) : IAction
        where TKernel : struct, IColumnStep
    {
        public void Invoke(int part)
        {
            var range = new Range<TKernel>(kernel, (int)((long)part * rows / parts), (int)((long)(part + 1) * rows / parts), columns);
            WidthDispatch.Run(ref range, path);
        }
    }

    private readonly struct Range<TKernel>(TKernel kernel, int firstRow, int endRow, int columns) : IWidthKernel
        where TKernel : struct, IColumnStep
    {
        // The root of the fused pass: fully optimized from the first call, and never inlined into a caller whose
        // inline budget it would exhaust (a cell step inlines several activations).
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public void Run<TVec>() where TVec : struct, IVector<TVec>
        {
            TKernel step = kernel;
            RowDriver.Run<TVec, TKernel>(ref step, firstRow, endRow, columns);
        }
    }
}
