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
    public static unsafe void ForwardTile<TCell>(SimdPath path, in ForwardStep step, int r0, int r1, int j0, int j1) where TCell : struct, ICell
    {
        fixed (ForwardStep* operands = &step)
        {
            var tile = new ForwardTileKernel<TCell>(operands, new Tile(r0, r1, j0, j1));
            WidthDispatch.Run(ref tile, path);
        }
    }

    /// <summary>Rows [r0, r1) and hidden columns [j0, j1) of a backward step on the calling thread (a team member's share).</summary>
    public static unsafe void BackwardTile<TCell>(SimdPath path, in BackwardStep step, int r0, int r1, int j0, int j1) where TCell : struct, ICell
    {
        fixed (BackwardStep* operands = &step)
        {
            var tile = new BackwardTileKernel<TCell>(operands, new Tile(r0, r1, j0, j1));
            WidthDispatch.Run(ref tile, path);
        }
    }

    /// <summary>
    /// Rows [FirstRow, EndRow), columns [FirstColumn, EndColumn): full vectors from the first column, then the columns past
    /// the last full vector one lane at a time. With the first column a multiple of the width and the end one too or the
    /// row's end, every element takes the same width as in the whole pass, so a split pass gives the same bits.
    /// </summary>
    private readonly record struct Tile(int FirstRow, int EndRow, int FirstColumn, int EndColumn)
    {
        public nuint VectorEnd<TVec>() where TVec : struct, IVector<TVec> =>
            (nuint)EndColumn - (nuint)(EndColumn - FirstColumn) % (nuint)TVec.Count;
    }

    // The roots of the fused passes: fully optimized from the first call, never inlined into a caller, and with the loop
    // written in the root itself: each level of inlining between the root and the cell costs inline budget, and when
    // it ran out the activations were called instead of inlined (the pass ran several times slower).
    private readonly unsafe struct ForwardTileKernel<TCell>(ForwardStep* step, Tile tile) : IWidthKernel where TCell : struct, ICell
    {
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public void Run<TVec>() where TVec : struct, IVector<TVec>
        {
            nuint vectorEnd = tile.VectorEnd<TVec>(), end = (nuint)tile.EndColumn;
            for (int row = tile.FirstRow; row < tile.EndRow; row++)
            {
                TCell.Forward<TVec>(in *step, row, (nuint)tile.FirstColumn, vectorEnd);
                TCell.Forward<Vec1>(in *step, row, vectorEnd, end);
            }
        }
    }

    private readonly unsafe struct BackwardTileKernel<TCell>(BackwardStep* step, Tile tile) : IWidthKernel where TCell : struct, ICell
    {
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public void Run<TVec>() where TVec : struct, IVector<TVec>
        {
            nuint vectorEnd = tile.VectorEnd<TVec>(), end = (nuint)tile.EndColumn;
            for (int row = tile.FirstRow; row < tile.EndRow; row++)
            {
                nuint j = (nuint)tile.FirstColumn;
                for (; j < vectorEnd; j += (nuint)TVec.Count) TCell.Backward<TVec>(in *step, row, j);
                for (; j < end; j++) TCell.Backward<Vec1>(in *step, row, j);
            }
        }
    }
}
