using System.Runtime.CompilerServices;
using SimdRnn.Vectors;

namespace SimdRnn.Cells;

/// <summary>
/// Runs a cell's fused step over a tile of a batch (rows x hidden columns) on the calling thread: a team member's share
/// of a step (see Layers/StepLoops.cs). Rows and columns are independent, so a step split into tiles gives bitwise the
/// whole step's results (column ranges start at multiples of the width, see <see cref="RowDriver"/>). The operands
/// hold raw pointers: the caller keeps the memory pinned.
/// </summary>
internal static class CellPass
{
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
