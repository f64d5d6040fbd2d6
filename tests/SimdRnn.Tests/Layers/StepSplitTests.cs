using SimdRnn.Execution;
using SimdRnn.Layers;
using SimdRnn.Sgemm;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Layers;

/// <summary>
/// The step loops run by a team: dividing the steps by batch rows or by hidden units, on any team size, gives bitwise
/// the single-threaded results (forward in both modes, inference with prepared weights, backward), dense and with
/// variable lengths (packed rows, whose row split balances the valid steps rather than the rows), on every in-process
/// path. The shapes are large enough for the team to have two members on a 2-core machine (when the helper is free).
/// </summary>
[Trait("Category", "Kernel")]
public class StepSplitTests
{
    [Theory, MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    public void Every_step_split_and_team_size_gives_the_single_threaded_bits(SimdPath path)
    {
        // H = 128 is a multiple of every path's NR, so the hidden-unit split applies on every path.
        const int steps = 24, input = 17, hidden = 128;
        foreach ((CellKind Cell, bool LinearBeforeReset) form in StackArbitraries.CellForms)
            foreach (int batch in new[] { 3, 40 })
            foreach (bool packed in new[] { false, true })
            {
                // Lengths over [T/2, T] in no particular order: the sorted rows' shares by count and by steps differ.
                int[] lengths = packed ? Enumerable.Range(0, batch).Select(row => steps / 2 + row * 7 % (steps / 2 + 1)).ToArray() : [];
                int[]? single = null;
                foreach ((int threads, StepSplitRule rule) in new[]
                         {
                             (1, StepSplitRule.Auto), (2, StepSplitRule.Auto), (2, StepSplitRule.BatchRows), (2, StepSplitRule.HiddenUnits),
                             (3, StepSplitRule.HiddenUnits), (3, StepSplitRule.BatchRows),
                         })
                {
                    RecurrentStack stack = StackChecks.BidirectionalStack(form, input, hidden, path, threads, rule);
                    int[] bits = Run(stack, steps, batch, lengths);
                    if (single is null) single = bits;
                    else Assert.True(single.SequenceEqual(bits), $"{StackChecks.Label(stack)} N={batch} packed={packed}: split by {rule} differs from 1 thread");
                }
            }
    }

    /// <summary>
    /// The members' shares are contiguous, disjoint, balanced to one unit and cover every row (by rows) or every hidden
    /// unit (by units, in whole column units from 0 to H), whatever the team size.
    /// </summary>
    [Fact]
    public unsafe void Shares_cover_every_row_or_hidden_unit_once_in_order()
    {
        const int columnUnit = 16, batch = 3;
        foreach (bool byRows in new[] { true, false })
            foreach (int units in new[] { 1, 2, 5, 16, 37 })
                for (int size = 1; size <= Math.Min(units, 7); size++)
                {
                    int hidden = byRows ? 40 : units * columnUnit, rows = byRows ? units : batch, end = 0;
                    var split = new StepSplit(byRows, units, size, columnUnit, Work: 0);
                    var dense = new StepRows(new DirectionShape(default, 1, rows, 1, hidden, false), null);
                    for (int rank = 0; rank < size; rank++)
                    {
                        (int r0, int r1, int j0, int j1) = split.Share(rank, size, rows, hidden, dense);
                        (int first, int last) = byRows ? (r0, r1) : (j0 / columnUnit, j1 / columnUnit);
                        string what = $"byRows={byRows} units={units} size={size} rank={rank}: ({r0}, {r1}, {j0}, {j1})";
                        Assert.True(first == end && last - first >= units / size && last - first <= units / size + 1, what);
                        Assert.True(byRows ? (j0, j1) == (0, hidden) : (r0, r1) == (0, rows) && j0 % columnUnit == 0 && j1 % columnUnit == 0, what);
                        end = last;
                    }

                    Assert.Equal(units, end);
                }
    }

    /// <summary>
    /// Where each member's rows start (<see cref="StepSplit"/>'s FirstRowOf): dense, at row floor(k N / s) of the batch
    /// for member k of s, whatever the steps; packed (rows sorted longest first), at the first row whose rows before it
    /// hold at least floor(k V / s) of the V valid rows of all steps, so members share the steps, not the rows.
    /// </summary>
    [Fact]
    public unsafe void Row_shares_are_equal_counts_dense_and_equal_valid_steps_packed()
    {
        const int steps = 9, hidden = 40;
        foreach (int batch in new[] { 1, 2, 5, 13 })
        {
            int[] lengths = [.. Enumerable.Range(0, batch).Select(row => 1 + (row * 5 + 3) % steps).OrderDescending()];
            int[] offsets = new int[steps + 1];
            for (int t = 0; t < steps; t++) offsets[t + 1] = offsets[t] + lengths.Count(length => length > t);
            var shape = new DirectionShape(default, steps, batch, 1, hidden, false);
            fixed (int* packedOffsets = offsets)
                for (int size = 1; size <= Math.Min(batch, 6); size++)
                {
                    var split = new StepSplit(ByRows: true, batch, size, ColumnUnit: 16, Work: 0);
                    for (int rank = 0; rank < size; rank++)
                    {
                        Assert.Equal(((int)((long)rank * batch / size), (int)((long)(rank + 1) * batch / size), 0, hidden),
                            split.Share(rank, size, batch, hidden, new StepRows(shape, null)));
                        Assert.Equal((FirstPackedRow(rank), FirstPackedRow(rank + 1), 0, hidden),
                            split.Share(rank, size, batch, hidden, new StepRows(shape, packedOffsets)));
                    }

                    int FirstPackedRow(int rank)
                    {
                        long target = (long)rank * offsets[steps] / size, before = 0;
                        int row = 0;
                        for (; row < batch && before < target; row++) before += lengths[row];
                        return row;
                    }
                }
        }
    }

    /// <summary>
    /// What each rule chooses where the choice does not hang on a tuning threshold, and that a long sequence of a large
    /// batch gets the whole team while a tiny step gets one member.
    /// </summary>
    [Theory, MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    public void Each_rule_splits_as_documented(SimdPath path)
    {
        var lstm = new CellTraits(GateCount: 4, HasCellState: true, KeepsRecurrentProductApart: false, SavesExtraState: false);
        // H = 128 is whole column units on every path; 129 on none.
        int unit = GemmKernel.ColumnUnit(path), aligned = 128;
        StepSplit Choose(StepSplitRule rule, int batch, int hidden, int projection = 0, int steps = 50) =>
            StepSplit.Choose(new DirectionPlan(new KernelContext(path, 2), new DirectionShape(lstm, steps, batch, 64, hidden, false, Projection: projection),
                Reverse: false), rule);
        // The split itself; its work estimate only sets how long the team waits for helpers.
        static (bool, int, int, int) Of(StepSplit split) => (split.ByRows, split.Units, split.Size, split.ColumnUnit);

        Assert.Equal((true, 1, 1, unit), Of(Choose(StepSplitRule.BatchRows, 1, aligned)));
        Assert.Equal((false, aligned / unit, 2, unit), Of(Choose(StepSplitRule.HiddenUnits, 1000, aligned)));
        Assert.Equal((true, 1000, 2, unit), Of(Choose(StepSplitRule.HiddenUnits, 1000, aligned + 1)));
        Assert.Equal((false, aligned / unit, 2, unit), Of(Choose(StepSplitRule.Auto, 1, aligned)));
        Assert.Equal((true, 1000, 2, unit), Of(Choose(StepSplitRule.Auto, 1000, aligned)));
        Assert.True(Choose(StepSplitRule.Auto, 1, aligned + 1).ByRows, "a hidden size that is not whole column units is split by rows");
        Assert.True(Choose(StepSplitRule.HiddenUnits, 1000, aligned, projection: 3).ByRows, "a projection is split by rows");
        Assert.True(Choose(StepSplitRule.Auto, 1, aligned, projection: 3).ByRows, "a projection is split by rows");
        Assert.Equal(1, Choose(StepSplitRule.Auto, 1, unit, steps: 1).Size);
        Assert.Equal(1, Choose(StepSplitRule.BatchRows, 2, 1, steps: 1).Size);
    }

    private static int[] Run(RecurrentStack stack, int steps, int batch, int[] lengths)
    {
        RecurrentParameters parameters = stack.CreateParameters(), gradients = stack.CreateParameters();
        for (int i = 0; i < parameters.All.Length; i++) parameters.All[i] = MathF.Sin(i) * 0.15f;
        bool lstm = stack.Cell == CellKind.Lstm;
        int states = stack.Layers * stack.Directions * batch * stack.HiddenSize, outputs = steps * batch * stack.Directions * stack.HiddenSize;
        float[] x = Enumerable.Range(0, steps * batch * stack.InputSize).Select(i => MathF.Cos(i)).ToArray();
        float[] h0 = Enumerable.Range(0, states).Select(i => MathF.Sin(2 * i) * 0.5f).ToArray(), c0 = lstm ? h0.Reverse().ToArray() : [];
        float[] y = new float[outputs], hT = new float[states], cT = new float[c0.Length];
        float[] yInference = new float[outputs], hInference = new float[states], cInference = new float[c0.Length];
        stack.Forward(steps, batch, x, h0, c0, parameters, yInference, hInference, cInference,
            new float[stack.WorkspaceLength(steps, batch, training: false, variableLengths: lengths.Length > 0)], training: false, lengths);
        // With prepared weights a split by hidden units projects the input inside the team (each member its own gate columns).
        float[] yPrepared = new float[outputs], hPrepared = new float[states], cPrepared = new float[c0.Length];
        stack.Forward(steps, batch, x, h0, c0, stack.Prepare(parameters), yPrepared, hPrepared, cPrepared,
            new float[stack.WorkspaceLength(steps, batch, training: false, preparedWeights: true, variableLengths: lengths.Length > 0)], training: false, lengths);
        var workspace = new float[stack.WorkspaceLength(steps, batch, training: true, variableLengths: lengths.Length > 0)];
        stack.Forward(steps, batch, x, h0, c0, parameters, y, hT, cT, workspace, training: true, lengths);
        float[] dy = Enumerable.Range(0, outputs).Select(i => MathF.Sin(3 * i)).ToArray(), dx = new float[x.Length];
        float[] dh0 = new float[states], dc0 = new float[c0.Length];
        stack.Backward(steps, batch, x, h0, parameters, y, dy, hT, cT, dx, dh0, dc0, gradients, workspace, lengths);
        return StackChecks.Bits([.. yInference, .. hInference, .. cInference, .. yPrepared, .. hPrepared, .. cPrepared, .. y, .. hT, .. cT, .. dx, .. dh0, .. dc0, .. gradients.All]);
    }
}
