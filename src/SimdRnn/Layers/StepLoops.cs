using System.Runtime.CompilerServices;
using SimdRnn.Cells;
using SimdRnn.Execution;
using SimdRnn.Sgemm;

namespace SimdRnn.Layers;

/// <summary>
/// The recurrence of a forward direction, run by one team for all steps (<see cref="Team"/>): each member owns a fixed
/// share (<see cref="StepSplit"/>) and, at every step, multiplies h_{t-1} by its part of the packed W_hh^T and applies
/// the fused cell to that tile at once, while it is still in its cache. By batch rows the members never meet; by hidden
/// units they meet once per step (h_t complete before step t+1 reads it). The operands are raw pointers into memory
/// the caller keeps pinned.
/// </summary>
internal readonly unsafe struct ForwardSteps<TCell> : ITeamAction where TCell : struct, ICell
{
    public required DirectionPlan Plan { get; init; }
    public required StepSplit Split { get; init; }

    /// <summary>Where each step's rows lie (dense or packed).</summary>
    public required StepRows Rows { get; init; }

    /// <summary>The step operands that do not change from step to step (biases, strides, sizes, save).</summary>
    public required ForwardStep Template { get; init; }

    public required float* Gates { get; init; }
    public required float* Cells { get; init; }
    public required float* Extra { get; init; }
    public required float* Y { get; init; }

    /// <summary>The width of a row of y (the directions of a layer interleave); rows of a step are <see cref="DirectionShape.RowStride"/> apart.</summary>
    public required int Ldy { get; init; }
    public required float* H0 { get; init; }

    /// <summary>W_hh^T packed (H x G*H; its merged rows only when the cell resets before the product).</summary>
    public required float* PackedRecurrentTransposed { get; init; }

    /// <summary>W_hn^T packed (H x H) when the cell resets before the product (<see cref="ICell.ResetsBeforeRecurrentProduct"/>); null otherwise.</summary>
    public float* PackedCandidateTransposed { get; init; }

    public required PanelFormat PackedFormat { get; init; }

    /// <summary>
    /// x (all rows of the sequence, I wide) when the members compute their own gate columns of the input projection
    /// before the steps (hidden-unit split, prepared weights); null when the gates already hold it.
    /// </summary>
    public float* Input { get; init; }

    /// <summary>The rows of <see cref="Input"/> (T N, or the valid steps' rows of a packed sequence).</summary>
    public int InputRows { get; init; }

    /// <summary>W_ih^T packed (I x G*H), with <see cref="Input"/>.</summary>
    public float* PackedInputTransposed { get; init; }

    public PanelFormat InputFormat { get; init; }

    /// <summary>
    /// An LSTM's projection: where the cell writes o * tanh(c) (rows x H, every step's rows in training, one step's in
    /// inference), which the member then multiplies by <see cref="PackedProjectionTransposed"/> into y; null without one.
    /// </summary>
    public float* Unprojected { get; init; }

    /// <summary>W_hr^T packed (H x P), with <see cref="Unprojected"/>.</summary>
    public float* PackedProjectionTransposed { get; init; }

    public PanelFormat ProjectionFormat { get; init; }

    // Runs once per call with the whole sequence inside: without this it would run tier-0 code for dozens of calls.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Invoke(in TeamMember member)
    {
        DirectionShape s = Plan.Shape;
        int n = s.Batch, h = s.Hidden, gw = s.GateWidth;
        (int r0, int r1, int j0, int j1) = Split.Share(member.Rank, member.Size, n, h, Rows);
        ForwardStep step = Template;
        if (Input != null)
            for (int gate = 0; gate < TCell.GateCount; gate++)
                GemmKernel.MultiplyPackedTile(Plan.Context.Path, 0, InputRows, gate * h + j0, gate * h + j1, gw, s.Input, Input, s.Input,
                    PackedInputTransposed, 0f, Gates, gw, InputFormat);

        for (int processed = 0; processed < s.Steps; processed++)
        {
            int t = Plan.TimeOf(processed), count = Rows.Count(t);
            // The member's rows that still run at t (as in BackwardSteps: one bound for the cell and the product).
            int end = Math.Min(r1, count);
            float* output = Y + Rows.Start(t, Ldy);
            step.Gates = Gates + Rows.Start(t, gw);
            step.H = Unprojected == null ? output : Unprojected + (s.Training ? Rows.TimeMajorStart(t, h) : 0);
            step.C = Cells + (nint)Plan.CellSlot(t) * s.State;
            // A cell that resets first keeps r * h_{t-1} laid out as the gates in training (dW_hn multiplies both over
            // all rows at once), one step of it in inference.
            step.Extra = !TCell.ResetsBeforeRecurrentProduct ? Extra + Rows.TimeMajorStart(t, h) : s.Training ? Extra + Rows.Start(t, h) : Extra;
            step.Phase = 0;
            RunParts(ref step, output, processed, t, count, r0, end, j0, j1);
            if (TCell.ResetsBeforeRecurrentProduct)
            {
                // The product of r * h_{t-1} needs all of its columns: the members meet before it.
                if (!Split.ByRows && !member.Meet()) return;
                int mergedWidth = s.MergedWidth;
                GemmKernel.MultiplyPackedTile(Plan.Context.Path, r0, end, j0, j1, h, h, step.Extra, (int)step.LdExtra,
                    PackedCandidateTransposed, 1f, step.Gates + mergedWidth, (int)step.Ldg, PackedFormat);
                step.Phase = 1;
                RunParts(ref step, output, processed, t, count, r0, end, j0, j1);
            }

            if (!Split.ByRows && !member.Meet()) return;
        }
    }

    /// <summary>
    /// The rows of a step that continue the previous step's state, then those that start from h0 / c0;
    /// <paramref name="r1"/> is already at most the step's row count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunParts(ref ForwardStep step, float* output, int processed, int t, int count, int r0, int r1, int j0, int j1)
    {
        int carried = Rows.Carried(Plan, processed);
        if (carried > 0)
        {
            step.HPrevious = Y + Rows.Start(Plan.TimeOf(processed - 1), Ldy);
            step.LdhPrevious = Plan.Shape.RowStride(Ldy);
            step.CPrevious = Cells + (nint)Plan.PreviousCellSlot(t) * Plan.Shape.State;
            Run(step, output, r0, Math.Min(r1, carried), j0, j1);
        }

        if (count > carried)
        {
            step.HPrevious = H0;
            step.LdhPrevious = Plan.Shape.StateWidth;
            step.CPrevious = Cells + (nint)Plan.InitialCellSlot * Plan.Shape.State;
            Run(step, output, Math.Max(r0, carried), r1, j0, j1);
        }
    }

    /// <summary>
    /// Rows [r0, r1) of a step: their share of h_{t-1} W_hh^T (the merged gates'), then the fused cell on that tile
    /// (phase 1 of a cell that resets first: the cell alone, its product was taken before); with a projection (split by
    /// rows, so the member has its rows' whole o * tanh(c)), then their rows of the step's output y = (o * tanh c) W_hr^T.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Run(in ForwardStep step, float* output, int r0, int r1, int j0, int j1)
    {
        if (r0 >= r1) return;
        SimdPath path = Plan.Context.Path;
        // h_{t-1} is S wide (the product's k); the gate columns are H apart.
        int h = Plan.Shape.Hidden, k = Plan.Shape.StateWidth, mergedWidth = Plan.Shape.MergedWidth;
        // Cells that keep the recurrent product apart get it alone; the others get it added onto x W_ih^T.
        float beta = TCell.KeepsRecurrentProductApart ? 0f : 1f;
        float* product = TCell.KeepsRecurrentProductApart ? step.RecurrentGates : step.Gates;
        int ldProduct = (int)(TCell.KeepsRecurrentProductApart ? step.LdRecurrentGates : step.Ldg), ldh = (int)step.LdhPrevious;
        if (step.Phase == 0 && Split.ByRows)
            GemmKernel.MultiplyPackedTile(path, r0, r1, 0, mergedWidth, mergedWidth, k, step.HPrevious, ldh, PackedRecurrentTransposed, beta, product,
                ldProduct, PackedFormat);
        else if (step.Phase == 0)
            for (int gate = 0; gate < Plan.Shape.Cell.MergedGateCount; gate++)
                GemmKernel.MultiplyPackedTile(path, r0, r1, gate * h + j0, gate * h + j1, mergedWidth, k, step.HPrevious, ldh,
                    PackedRecurrentTransposed, beta, product, ldProduct, PackedFormat);
        CellPass.ForwardTile<TCell>(path, step, r0, r1, j0, j1);
        int projection = Plan.Shape.Projection;
        if (projection > 0)
            GemmKernel.MultiplyPackedTile(path, r0, r1, 0, projection, projection, h, step.H, (int)step.Ldh,
                PackedProjectionTransposed, 0f, output, Plan.Shape.RowStride(Ldy), ProjectionFormat);
    }
}

/// <summary>
/// The recurrence of BPTT, run by one team for all steps, last to first, with the forward's split: each member applies
/// the fused backward cell to its share, then computes its share of dh_{t-1} = dG_h W_hh (its rows, or its hidden
/// columns of the packed W_hh). By batch rows the members never meet; by hidden units they meet once per step, between
/// the cell (which fills dG_h) and the product (which reads all of it); the next step's cell needs only the member's
/// own columns of dh and dc, so no second meeting.
/// </summary>
internal readonly unsafe struct BackwardSteps<TCell> : ITeamAction where TCell : struct, ICell
{
    public required DirectionPlan Plan { get; init; }
    public required StepSplit Split { get; init; }

    /// <summary>Where each step's rows lie (dense or packed).</summary>
    public required StepRows Rows { get; init; }

    /// <summary>The step operands that do not change from step to step (dh, dc, strides, sizes).</summary>
    public required BackwardStep Template { get; init; }

    public required float* Gates { get; init; }

    /// <summary>dG_h of every step: the gates themselves, or a buffer of their own for cells that keep the product apart.</summary>
    public required float* RecurrentGradients { get; init; }

    public required float* Cells { get; init; }
    public required float* Extra { get; init; }
    public required float* Y { get; init; }

    /// <summary>The widths of a row of y and of dy (their rows of a step are <see cref="DirectionShape.RowStride"/> apart).</summary>
    public required int Ldy { get; init; }
    public required int Lddy { get; init; }
    public required float* Dy { get; init; }
    public required float* H0 { get; init; }

    /// <summary>W_hh packed (G*H x H; its merged rows only when the cell resets before the product).</summary>
    public required float* PackedRecurrent { get; init; }

    /// <summary>W_hn packed (H x H) when the cell resets before the product; null otherwise.</summary>
    public float* PackedCandidate { get; init; }

    /// <summary>dL/dh_t through the later steps, N x S: the merged product dG_h W_hh writes it (or adds onto the cell's direct part).</summary>
    public required float* Dh { get; init; }

    /// <summary>
    /// An LSTM's projection: receives every step's total dh_t = dy_t + dh (rows x P, time-major or packed rows, for
    /// dW_hr after the steps); null without one. The cell then reads dm = dh_t W_hr from <see cref="UnprojectedGradient"/>.
    /// </summary>
    public float* ProjectedGradients { get; init; }

    /// <summary>W_hr packed (P x H), with <see cref="ProjectedGradients"/>.</summary>
    public float* PackedProjection { get; init; }

    /// <summary>dm of a step (N x H), with <see cref="ProjectedGradients"/>: the step's Dy points at it.</summary>
    public float* UnprojectedGradient { get; init; }

    // Runs once per call with the whole sequence inside: without this it would run tier-0 code for dozens of calls.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Invoke(in TeamMember member)
    {
        DirectionShape s = Plan.Shape;
        SimdPath path = Plan.Context.Path;
        int n = s.Batch, h = s.Hidden, gw = s.GateWidth;
        (int r0, int r1, int j0, int j1) = Split.Share(member.Rank, member.Size, n, h, Rows);
        // The merged product's columns: the member's hidden units, or all of dh's S (H, or P with a projection) by rows.
        int width = s.StateWidth, p0 = Split.ByRows ? 0 : j0, p1 = Split.ByRows ? width : j1;
        // The product is added onto the cell's direct part of dh_{t-1} where it has one.
        float beta = TCell.KeepsRecurrentProductApart || TCell.ResetsBeforeRecurrentProduct ? 1f : 0f;
        int mergedWidth = s.MergedWidth;
        BackwardStep step = Template;
        for (int processed = s.Steps - 1; processed >= 0; processed--)
        {
            int t = Plan.TimeOf(processed), count = Rows.Count(t);
            // The member's rows that still run at t (rows past the count have ended: their dh must stay as it is).
            int end = Math.Min(r1, count);
            step.Gates = Gates + Rows.Start(t, gw);
            step.RecurrentGradients = RecurrentGradients + Rows.Start(t, gw);
            step.Extra = Extra + Rows.TimeMajorStart(t, h);
            step.H = Y + Rows.Start(t, Ldy);
            step.C = Cells + (nint)Plan.CellSlot(t) * s.State;
            step.Dy = Dy + Rows.Start(t, Lddy);
            if (ProjectedGradients != null)
            {
                Project(path, ProjectedGradients + Rows.TimeMajorStart(t, width), step.Dy, r0, end);
                step.Dy = UnprojectedGradient;
            }

            step.Phase = 0;
            RunParts(ref step, processed, t, count, r0, end, j0, j1);
            if (!Split.ByRows && !member.Meet()) return;
            if (TCell.ResetsBeforeRecurrentProduct)
            {
                // dL/d(r * h_{t-1}) = dG_n W_hn, then the cell's phase 1 turns it into dG_r and a part of dh_{t-1}; the
                // merged product below reads all of dG_r: a second meeting.
                GemmKernel.MultiplyPackedTile(path, r0, end, j0, j1, h, h, step.Gates + mergedWidth, (int)step.Ldg, PackedCandidate,
                    0f, step.ResetProductGradient, h);
                step.Phase = 1;
                RunParts(ref step, processed, t, count, r0, end, j0, j1);
                if (!Split.ByRows && !member.Meet()) return;
            }

            GemmKernel.MultiplyPackedTile(path, r0, end, p0, p1, width, mergedWidth, step.RecurrentGradients, (int)step.Ldg,
                PackedRecurrent, beta, Dh, width);
        }
    }

    /// <summary>
    /// Rows [r0, r1) of a step with a projection: dH = dy_t + dh (saved for dW_hr), then dm = dH W_hr (N x H) for the cell.
    /// The rows' dh is this member's own (split by rows), so nothing is shared.
    /// </summary>
    private void Project(SimdPath path, float* dH, float* dy, int r0, int r1)
    {
        int width = Plan.Shape.StateWidth, h = Plan.Shape.Hidden, lddy = Plan.Shape.RowStride(Lddy);
        for (int row = r0; row < r1; row++)
            for (int p = 0; p < width; p++)
                dH[row * width + p] = dy[(nint)row * lddy + p] + Dh[row * width + p];
        if (r0 < r1)
            GemmKernel.MultiplyPackedTile(path, r0, r1, 0, h, h, width, dH, width, PackedProjection, 0f, UnprojectedGradient, h, PanelFormat.Float32);
    }

    /// <summary>
    /// The fused backward cell over the rows of a step that continue the previous step's state, then those that start
    /// from h0 / c0; <paramref name="r1"/> is already at most the step's row count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunParts(ref BackwardStep step, int processed, int t, int count, int r0, int r1, int j0, int j1)
    {
        SimdPath path = Plan.Context.Path;
        int carried = Rows.Carried(Plan, processed);
        if (carried > 0)
        {
            step.HPrevious = Y + Rows.Start(Plan.TimeOf(processed - 1), Ldy);
            step.LdhPrevious = Plan.Shape.RowStride(Ldy);
            step.CPrevious = Cells + (nint)Plan.PreviousCellSlot(t) * Plan.Shape.State;
            CellPass.BackwardTile<TCell>(path, step, r0, Math.Min(r1, carried), j0, j1);
        }

        if (count > carried)
        {
            step.HPrevious = H0;
            step.LdhPrevious = Plan.Shape.StateWidth;
            step.CPrevious = Cells + (nint)Plan.InitialCellSlot * Plan.Shape.State;
            CellPass.BackwardTile<TCell>(path, step, Math.Max(r0, carried), r1, j0, j1);
        }
    }
}

/// <summary>
/// Where each step's rows lie in a direction's buffers (gates, outputs, saved state, output gradients). Dense: as the
/// shape lays them out (<see cref="DirectionShape.StepStart"/>: time-major or batch-first). Packed (variable lengths,
/// rows sorted by length, longest first, always time-major): time t is the n_t rows that are still running, rows
/// [offsets[t], offsets[t + 1]), so a padded step costs nothing. The offsets are pinned by the caller.
/// </summary>
internal readonly unsafe struct StepRows(in DirectionShape shape, int* offsets)
{
    private readonly DirectionShape _shape = shape;

    /// <summary>Where time <paramref name="time"/>'s first row of <paramref name="width"/> floats starts.</summary>
    public nint Start(int time, int width) => offsets == null ? _shape.StepStart(time, width) : (nint)offsets[time] * width;

    /// <summary>As <see cref="Start"/> in a buffer that is time-major whatever the layout (the saved extra state).</summary>
    public nint TimeMajorStart(int time, int width) => offsets == null ? (nint)time * _shape.Batch * width : (nint)offsets[time] * width;

    public int Count(int time) => offsets == null ? _shape.Batch : offsets[time + 1] - offsets[time];

    /// <summary>Whether the rows are packed (variable lengths, sorted longest first).</summary>
    public bool IsPacked => offsets != null;

    /// <summary>The rows of all steps together.</summary>
    public int ValidRows => offsets == null ? _shape.Batch * _shape.Steps : offsets[_shape.Steps];

    /// <summary>The steps sorted row <paramref name="row"/> runs: the steps whose count of rows exceeds it.</summary>
    public int Length(int row)
    {
        int length = 0;
        while (length < _shape.Steps && Count(length) > row) length++;
        return length;
    }

    /// <summary>
    /// How many rows of processing step <paramref name="processed"/> continue the state of the step processed before it:
    /// the others start here from h0 / c0 (all rows at the first step; in reverse over a packed sequence, also the rows
    /// whose last valid time this is).
    /// </summary>
    public int Carried(in DirectionPlan plan, int processed) =>
        processed == 0 ? 0 : Math.Min(Count(plan.TimeOf(processed)), Count(plan.TimeOf(processed - 1)));
}
