using System.Runtime.CompilerServices;
using CommunityToolkit.HighPerformance.Helpers;
using SimdRnn.Execution;
using SimdRnn.Vectors;

namespace SimdRnn.Cells;

/// <summary>
/// Runs a cell's fused step over the rows of a batch, split into contiguous row ranges across threads by
/// <see cref="Parallelism"/>. Rows are independent, so the result is bitwise the same for any split; each share runs
/// <see cref="RowDriver"/> over its rows. The operands hold raw pointers: the caller keeps the memory pinned.
/// </summary>
internal static class CellPass
{
    public static void Forward<TCell>(in KernelContext context, in ForwardStep step, int rows) where TCell : struct, ICell =>
        Run(context, new ForwardColumns<TCell>(step), rows, step.Hidden);

    public static void Backward<TCell>(in KernelContext context, in BackwardStep step, int rows) where TCell : struct, ICell =>
        Run(context, new BackwardColumns<TCell>(step), rows, step.Hidden);

    /// <summary>Rows [r0, r1) and hidden columns [j0, j1) of a forward step on the calling thread (a team member's share).</summary>
    public static void ForwardTile<TCell>(SimdPath path, in ForwardStep step, int r0, int r1, int j0, int j1) where TCell : struct, ICell
    {
        var range = new Range<ForwardColumns<TCell>>(new ForwardColumns<TCell>(step), r0, r1, j0, j1);
        WidthDispatch.Run(ref range, path);
    }

    /// <summary>Rows [r0, r1) and hidden columns [j0, j1) of a backward step on the calling thread (a team member's share).</summary>
    public static void BackwardTile<TCell>(SimdPath path, in BackwardStep step, int r0, int r1, int j0, int j1) where TCell : struct, ICell
    {
        var range = new Range<BackwardColumns<TCell>>(new BackwardColumns<TCell>(step), r0, r1, j0, j1);
        WidthDispatch.Run(ref range, path);
    }

    private static void Run<TColumns>(in KernelContext context, in TColumns columns, int rows, int hidden) where TColumns : struct, IColumnStep
    {
        int parts = Parallelism.Parts(context, rows, Parallelism.CellElementCost * rows * hidden);
        var worker = new Worker<TColumns>(columns, rows, hidden, parts, context.Path);
        if (parts == 1) worker.Invoke(0);
        else ForkJoin.Run(parts, in worker);
    }

    private readonly struct ForwardColumns<TCell>(ForwardStep step) : IColumnStep where TCell : struct, ICell
    {
        private readonly ForwardStep _step = step;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TVec>(int row, nuint column) where TVec : struct, IVector<TVec> => TCell.Forward<TVec>(_step, row, column);
    }

    private readonly struct BackwardColumns<TCell>(BackwardStep step) : IColumnStep where TCell : struct, ICell
    {
        private readonly BackwardStep _step = step;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TVec>(int row, nuint column) where TVec : struct, IVector<TVec> => TCell.Backward<TVec>(_step, row, column);
    }

    private readonly struct Worker<TColumns>(TColumns columns, int rows, int hidden, int parts, SimdPath path) : IAction
        where TColumns : struct, IColumnStep
    {
        public void Invoke(int part)
        {
            var range = new Range<TColumns>(columns, (int)((long)part * rows / parts), (int)((long)(part + 1) * rows / parts), 0, hidden);
            WidthDispatch.Run(ref range, path);
        }
    }

    private readonly struct Range<TColumns>(TColumns columns, int firstRow, int endRow, int firstColumn, int endColumn) : IWidthKernel
        where TColumns : struct, IColumnStep
    {
        // The root of the fused pass: fully optimized from the first call, and never inlined into a caller whose
        // inline budget it would exhaust (a cell step inlines several activations).
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public void Run<TVec>() where TVec : struct, IVector<TVec>
        {
            TColumns step = columns;
            RowDriver.Run<TVec, TColumns>(ref step, firstRow, endRow, firstColumn, endColumn);
        }
    }
}
