using SimdRnn.Execution;
using SimdRnn.Sgemm;

namespace SimdRnn.Layers;

/// <summary>How a direction's steps are divided among a team (tests force each way; results are the same).</summary>
internal enum StepSplitRule
{
    /// <summary>By batch rows when there are enough of them, by hidden units otherwise.</summary>
    Auto,

    /// <summary>Each member owns rows of the batch for the whole sequence: no meeting at all.</summary>
    BatchRows,

    /// <summary>Each member owns hidden units (their gate columns of W_hh): one meeting per step.</summary>
    HiddenUnits,
}

/// <summary>
/// The fixed division of a direction's step work among a team, for all steps. By batch rows, members never meet (a row's
/// recurrence needs only that row); by hidden units, each member reads only its share of W_hh at every step (what a
/// small batch is bound by: the weights' bandwidth), and members meet once per step, because every unit of step t+1
/// needs all of h_t. Hidden ranges start at multiples of the GEMM's NR, so each member's product columns are whole
/// packed panels and every element takes the same operations as in an unsplit product. An LSTM with a projection is
/// split by batch rows only: its step needs a row's whole o * tanh(c) before W_hr, which by hidden units would cost a
/// second meeting per step (not built; a batch of fewer rows than threads then leaves threads idle during the steps).
/// </summary>
/// <param name="ByRows">Members own batch rows (true) or hidden units (false).</param>
/// <param name="Units">What is divided: batch rows, or hidden units in whole column units.</param>
/// <param name="Size">The team size the split was chosen for (at most; a team that forms smaller divides among its members).</param>
/// <param name="ColumnUnit">NR of the path: hidden ranges start at multiples of it.</param>
/// <param name="Work">The steps' estimated single-thread work (flop-equivalents): how long the team's caller waits for helpers to join.</param>
internal readonly record struct StepSplit(bool ByRows, int Units, int Size, int ColumnUnit, long Work)
{
    // Below this many batch rows per member, splitting rows makes each member stream all of W_hh for a few rows.
    private const int MinRowsPerMember = 8;

    public static StepSplit Choose(in DirectionPlan plan, StepSplitRule rule)
    {
        DirectionShape s = plan.Shape;
        int columnUnit = GemmKernel.ColumnUnit(plan.Context.Path);
        bool unitsAlign = s.Hidden % columnUnit == 0;
        bool byRows = s.Projection > 0 || rule switch
        {
            StepSplitRule.BatchRows => true,
            StepSplitRule.HiddenUnits => !unitsAlign,
            _ => !unitsAlign || s.Batch >= MinRowsPerMember * plan.Context.Threads,
        };
        int units = byRows ? s.Batch : s.Hidden / columnUnit;
        long weights = s.GateWidth * (long)s.StateWidth + (long)s.Projection * s.Hidden;
        // A few rows per step are bound by reading the weights, not by the flops, and a hidden-unit split divides the
        // reads among the members (a row split does not: every member reads all of W_hh).
        long products = Math.Max(2L * s.Batch, byRows ? 0 : Parallelism.StreamedElementCost) * s.Steps * weights;
        long work = products + Parallelism.CellElementCost * s.Steps * s.Batch * s.Hidden;
        return new StepSplit(byRows, units, Parallelism.Parts(plan.Context, units, work), columnUnit, work);
    }

    /// <summary>The rows and hidden columns member <paramref name="rank"/> of a team of <paramref name="size"/> owns.</summary>
    public (int FirstRow, int EndRow, int FirstColumn, int EndColumn) Share(int rank, int size, int batch, int hidden, in StepRows rows)
    {
        if (ByRows) return (FirstRowOf(rank, size, rows), FirstRowOf(rank + 1, size, rows), 0, hidden);
        int first = (int)((long)rank * Units / size), end = (int)((long)(rank + 1) * Units / size);
        return (0, batch, first * ColumnUnit, rank == size - 1 ? hidden : end * ColumnUnit);
    }

    /// <summary>
    /// Where member <paramref name="rank"/>'s rows start: an equal share of the valid rows of all steps. Dense, that is an
    /// equal share of the batch; packed, the rows are sorted longest first, so equal counts of rows would give the first
    /// member the most steps (lengths over [T/2, T]: 58% of the work of two).
    /// </summary>
    private int FirstRowOf(int rank, int size, in StepRows rows)
    {
        if (rank == 0 || !rows.IsPacked) return (int)((long)rank * Units / size);
        if (rank == size) return Units;
        long target = (long)rank * rows.ValidRows / size, before = 0;
        int row = 0;
        while (row < Units && before < target) before += rows.Length(row++);
        return row;
    }
}
