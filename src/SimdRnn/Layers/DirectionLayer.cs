using SimdRnn.Cells;
using SimdRnn.Execution;
using SimdRnn.Sgemm;

namespace SimdRnn.Layers;

/// <summary>The sequence loops of one direction of one layer, for whichever cell type the stack holds.</summary>
internal interface IDirectionLayer
{
    CellTraits Cell { get; }

    /// <summary>
    /// x is T*N x I; y rows have stride <paramref name="ldy"/> (the other direction may interleave); h0, c0, hT and cT
    /// are N x H. A training plan keeps in the workspace what <see cref="Backward"/> needs. With
    /// <paramref name="stepOffsets"/> (T + 1 entries) the sequence is packed: time t is rows [offsets[t], offsets[t + 1])
    /// of x, y and the gates, the first rows of the batch (sorted by length, longest first); empty: dense.
    /// </summary>
    void Forward(in DirectionPlan plan, DirectionWeights weights, ReadOnlySpan<float> x, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0,
        Span<float> y, int ldy, Span<float> hT, Span<float> cT, Span<float> workspace, ReadOnlySpan<int> stepOffsets = default);

    /// <summary>
    /// BPTT from dy (T*N rows of stride <paramref name="lddy"/>), dhT and dcT, after a training forward that filled
    /// the workspace. Writes (or, with <paramref name="accumulateDx"/>, adds) dx (skipped when dx is empty), writes
    /// dh0 / dc0, and adds into the weight and bias gradients. A packed sequence (<paramref name="stepOffsets"/>, as in
    /// the forward) needs <paramref name="previousOutputs"/>, room for H floats per packed row.
    /// </summary>
    void Backward(in DirectionPlan plan, DirectionWeights weights, ReadOnlySpan<float> x, ReadOnlySpan<float> h0,
        ReadOnlySpan<float> y, int ldy, ReadOnlySpan<float> dy, int lddy, ReadOnlySpan<float> dhT, ReadOnlySpan<float> dcT,
        Span<float> dx, bool accumulateDx, Span<float> dh0, Span<float> dc0, DirectionTensors gradients, Span<float> workspace,
        ReadOnlySpan<int> stepOffsets = default, Span<float> previousOutputs = default);
}

/// <summary>
/// Sequence forward and BPTT backward of one direction of one layer, generic over the cell: the input projection of
/// all steps as one GEMM, then the recurrence run by one team for all steps (<see cref="ForwardSteps{TCell}"/>,
/// <see cref="BackwardSteps{TCell}"/>: per step, each member's share of the merged gate product and the fused cell on
/// it), and the weight gradients as large GEMMs over all T*N rows that add into the caller's gradients. An LSTM with a
/// projection adds, per step, h_t = (o * tanh c) W_hr^T (one more packed product on the member's rows) and, in backward,
/// dm = dh_t W_hr before the cell; dW_hr = dH^T M is one GEMM over all rows after the steps.
/// </summary>
internal sealed unsafe class DirectionLayer<TCell> : IDirectionLayer where TCell : struct, ICell
{
    public static readonly DirectionLayer<TCell> Instance = new();

    public CellTraits Cell { get; } = CellTraits.Of<TCell>();

    public void Forward(in DirectionPlan plan, DirectionWeights weights, ReadOnlySpan<float> x, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0,
        Span<float> y, int ldy, Span<float> hT, Span<float> cT, Span<float> workspace, ReadOnlySpan<int> stepOffsets)
    {
        DirectionShape s = plan.Shape;
        KernelContext context = plan.Context;
        int gw = s.GateWidth, h = s.Hidden, rows = RowCount(s, stepOffsets);
        Span<float> gates = s.Gates(workspace), cells = s.Cells(workspace), recurrentGates = s.RecurrentGates(workspace);
        DirectionTensors tensors = weights.Tensors;
        ReadOnlySpan<float> whhT = weights.RecurrentTransposed(context, s.StateWidth, s.MergedWidth);
        ReadOnlySpan<float> whnT = TCell.ResetsBeforeRecurrentProduct ? weights.CandidateTransposed(context, h, s.MergedWidth) : default;
        ReadOnlySpan<float> whrT = weights.ProjectionTransposed(context, h, s.Projection);

        // All steps' input projections at once: gates = X W_ih^T. Split by hidden units with prepared weights, each member
        // computes its own gate columns inside the team instead (the columns its cells read): one fork per call, not two.
        StepSplit split = StepSplit.Choose(plan, plan.Split);
        bool projectInTeam = !split.ByRows && !weights.PackedInputTransposed.IsEmpty;
        if (!projectInTeam)
        {
            if (weights.PackedInputTransposed.IsEmpty)
                GemmKernel.Multiply(context, MatrixOp.None, MatrixOp.Transpose, rows, gw, s.Input, 1f, x, s.Input, tensors.InputWeights, s.Input,
                    0f, gates, gw);
            else
                GemmKernel.MultiplyPacked(context, MatrixOp.None, rows, gw, s.Input, 1f, x, s.Input, weights.PackedInputTransposed, 0f, gates, gw,
                    weights.PackedFormat);
        }

        // Without biases the cells add zeros (one scratch row serves both of a GRU's bias operands): the same fused
        // pass, and adding +0 changes no value that a bias-free formula gives.
        bool hasBias = !tensors.InputBias.IsEmpty;
        Span<float> bias = TCell.KeepsRecurrentProductApart && hasBias ? tensors.InputBias : s.Bias(workspace);
        ReadOnlySpan<float> recurrentBias = hasBias ? tensors.RecurrentBias : bias;
        if (!hasBias) bias.Clear();
        else if (!TCell.KeepsRecurrentProductApart)
            for (int j = 0; j < gw; j++) bias[j] = tensors.InputBias[j] + tensors.RecurrentBias[j];
        if (TCell.HasCellState) c0.CopyTo(cells.Slice(plan.InitialCellSlot * s.State, s.State));

        fixed (int* pOffsets = stepOffsets)
        fixed (float* pGates = gates, pCells = cells, pExtra = s.Extra(workspace), pRecurrent = recurrentGates, pBias = bias,
               pRecurrentBias = recurrentBias, pY = y, pH0 = h0, pWhhT = whhT, pWhnT = whnT, pX = x, pWihT = weights.PackedInputTransposed,
               pUnprojected = s.Unprojected(workspace), pWhrT = whrT)
        {
            Team.Run(split.Size, new ForwardSteps<TCell>
            {
                Plan = plan, Split = split, Rows = new StepRows(s, pOffsets), Gates = pGates, Cells = pCells, Extra = pExtra, Y = pY, Ldy = ldy,
                H0 = pH0, PackedRecurrentTransposed = pWhhT, PackedCandidateTransposed = pWhnT, PackedFormat = weights.RecurrentTransposedFormat,
                Input = projectInTeam ? pX : null, InputRows = rows, PackedInputTransposed = projectInTeam ? pWihT : null,
                InputFormat = weights.PackedFormat,
                Unprojected = s.Projection > 0 ? pUnprojected : null, PackedProjectionTransposed = pWhrT,
                ProjectionFormat = weights.ProjectionTransposedFormat,
                Template = new ForwardStep
                {
                    Bias = pBias, RecurrentBias = pRecurrentBias, RecurrentGates = pRecurrent, LdRecurrentGates = gw, Ldg = s.RowStride(gw),
                    // With a projection the cell writes o * tanh(c) to its own buffer (H wide); the product writes y.
                    Ldh = s.Projection > 0 ? h : s.RowStride(ldy), Hidden = h, Save = s.Training, LdExtra = s.Training ? s.RowStride(h) : h,
                },
            }, split.Work);
        }

        fixed (int* pOffsets = stepOffsets)
            CopyFinalStates(plan, new StepRows(s, pOffsets), y, ldy, cells, hT, cT);
    }

    /// <summary>
    /// hT and cT: each row's state after its last processed step, the last step for all rows of a dense sequence; over
    /// a packed one the forward direction's rows end at their own lengths (the rows that the next step no longer runs).
    /// </summary>
    private static void CopyFinalStates(in DirectionPlan plan, StepRows rows, ReadOnlySpan<float> y, int ldy, ReadOnlySpan<float> cells,
        Span<float> hT, Span<float> cT)
    {
        DirectionShape s = plan.Shape;
        int h = s.Hidden, width = s.StateWidth;
        for (int processed = 0; processed < s.Steps; processed++)
        {
            int t = plan.TimeOf(processed), count = rows.Count(t);
            int ending = processed == s.Steps - 1 ? 0 : Math.Min(count, rows.Count(plan.TimeOf(processed + 1)));
            if (ending == count) continue;
            for (int row = ending; row < count; row++)
                y.Slice((int)rows.Start(t, ldy) + row * s.RowStride(ldy), width).CopyTo(hT.Slice(row * width, width));
            if (TCell.HasCellState)
                cells.Slice(plan.CellSlot(t) * s.State + ending * h, (count - ending) * h).CopyTo(cT[(ending * h)..]);
        }
    }

    /// <summary>The rows of x, y and the gates: T*N dense, the sum of the lengths packed.</summary>
    private static int RowCount(in DirectionShape shape, ReadOnlySpan<int> stepOffsets) => stepOffsets.IsEmpty ? shape.Rows : stepOffsets[^1];

    public void Backward(in DirectionPlan plan, DirectionWeights weights, ReadOnlySpan<float> x, ReadOnlySpan<float> h0,
        ReadOnlySpan<float> y, int ldy, ReadOnlySpan<float> dy, int lddy, ReadOnlySpan<float> dhT, ReadOnlySpan<float> dcT,
        Span<float> dx, bool accumulateDx, Span<float> dh0, Span<float> dc0, DirectionTensors gradients, Span<float> workspace,
        ReadOnlySpan<int> stepOffsets, Span<float> previousOutputs)
    {
        DirectionShape s = plan.Shape;
        KernelContext context = plan.Context;
        int gw = s.GateWidth, h = s.Hidden, rows = RowCount(s, stepOffsets);
        Span<float> gates = s.Gates(workspace), cells = s.Cells(workspace), dh = s.Dh(workspace), dc = s.Dc(workspace);
        // LSTM and RNN share one gradient for both GEMM sides; a cell that keeps the recurrent product apart has its own.
        Span<float> recurrentGradients = TCell.KeepsRecurrentProductApart ? s.RecurrentGates(workspace) : gates;
        ReadOnlySpan<float> packedWhh = weights.Recurrent(context, s.StateWidth, s.MergedWidth);
        ReadOnlySpan<float> packedWhn = TCell.ResetsBeforeRecurrentProduct ? weights.Candidate(context, h, s.MergedWidth) : default;
        ReadOnlySpan<float> packedWhr = weights.Projection(context, h, s.Projection);
        Span<float> projectedGradients = s.ProjectedGradients(workspace), zeros = s.Zeros(workspace);
        dhT.CopyTo(dh);
        if (TCell.HasCellState) dcT.CopyTo(dc);
        zeros.Clear();

        fixed (int* pOffsets = stepOffsets)
        fixed (float* pGates = gates, pCells = cells, pExtra = s.Extra(workspace), pRecurrent = recurrentGradients, pDh = dh, pDc = dc,
               pY = y, pDy = dy, pH0 = h0, pWhh = packedWhh, pWhn = packedWhn, pResetProductGradient = s.ResetProductGradient(workspace),
               pWhr = packedWhr, pDH = projectedGradients, pDm = s.UnprojectedGradient(workspace), pZeros = zeros)
        {
            StepSplit split = StepSplit.Choose(plan, plan.Split);
            bool projection = s.Projection > 0;
            Team.Run(split.Size, new BackwardSteps<TCell>
            {
                Plan = plan, Split = split, Rows = new StepRows(s, pOffsets), Gates = pGates, RecurrentGradients = pRecurrent,
                Cells = pCells, Extra = pExtra, Y = pY, Ldy = ldy, Dy = pDy, Lddy = lddy, H0 = pH0, PackedRecurrent = pWhh, PackedCandidate = pWhn,
                Dh = pDh, ProjectedGradients = projection ? pDH : null, PackedProjection = pWhr, UnprojectedGradient = pDm,
                Template = new BackwardStep
                {
                    // With a projection the cell reads dm = dh_t W_hr (all of its dh) as its dy, and zeros as its recurrent part.
                    Ldg = s.RowStride(gw), Ldh = s.RowStride(ldy), Lddy = projection ? h : s.RowStride(lddy), DhRecurrent = projection ? pZeros : pDh,
                    Dc = pDc, Hidden = h, ResetProductGradient = pResetProductGradient,
                },
            }, split.Work);
        }

        dh.CopyTo(dh0);
        if (TCell.HasCellState) dc.CopyTo(dc0);

        // dx = dGi W_ih, and the weight gradients as large GEMMs over all T*N (packed: all valid) rows (beta = 1: accumulate).
        if (!dx.IsEmpty)
            GemmKernel.Multiply(context, MatrixOp.None, MatrixOp.None, rows, s.Input, gw, 1f, gates, gw, weights.Tensors.InputWeights, s.Input,
                accumulateDx ? 1f : 0f, dx, s.Input);
        GemmKernel.Multiply(context, MatrixOp.Transpose, MatrixOp.None, gw, s.Input, rows, 1f, gates, gw, x, s.Input, 1f,
            gradients.InputWeights, s.Input);
        if (stepOffsets.IsEmpty)
            AccumulateWeightGradientOfRecurrence(plan, recurrentGradients, h0, y, ldy, gradients.RecurrentWeights);
        else
            AccumulatePackedWeightGradientOfRecurrence(plan, stepOffsets, recurrentGradients, h0, y, ldy, previousOutputs, gradients.RecurrentWeights);
        // dW_hn += dG_n^T (r * H_prev): forward kept r * h_{t-1} in the gates' row order, so one GEMM over all rows.
        if (TCell.ResetsBeforeRecurrentProduct)
            GemmKernel.Multiply(context, MatrixOp.Transpose, MatrixOp.None, h, h, rows, 1f, gates[s.MergedWidth..], gw, s.Extra(workspace), h, 1f,
                gradients.RecurrentWeights[(s.MergedWidth * h)..], h);
        // dW_hr += dH^T M: every step's total dh (P wide) and o * tanh(c) (H wide), time-major (or packed) rows both.
        if (s.Projection > 0)
            GemmKernel.Multiply(context, MatrixOp.Transpose, MatrixOp.None, s.Projection, h, rows, 1f, projectedGradients, s.Projection,
                s.Unprojected(workspace), h, 1f, gradients.ProjectionWeights, h);
        if (gradients.InputBias.IsEmpty) return; // no biases, no bias gradients
        ColumnSums.AddTo(context, gates, rows, gw, gradients.InputBias);
        ColumnSums.AddTo(context, recurrentGradients, rows, gw, gradients.RecurrentBias);
    }

    /// <summary>
    /// dW_hh += dGh^T H_prev (the merged rows) over a packed sequence: a step's rows continue the previous step's first rows or start from
    /// h0, so H_prev is gathered row by row (H floats a row, against a product of 2 G H^2) and the product is one GEMM.
    /// </summary>
    private static void AccumulatePackedWeightGradientOfRecurrence(in DirectionPlan plan, ReadOnlySpan<int> stepOffsets, ReadOnlySpan<float> dGh,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> y, int ldy, Span<float> previousOutputs, Span<float> dWhh)
    {
        DirectionShape s = plan.Shape;
        int gw = s.GateWidth, mergedWidth = s.MergedWidth, h = s.StateWidth, rows = stepOffsets[^1];
        fixed (int* pOffsets = stepOffsets)
        {
            var steps = new StepRows(s, pOffsets);
            for (int processed = 0; processed < s.Steps; processed++)
            {
                int t = plan.TimeOf(processed), count = steps.Count(t), carried = steps.Carried(plan, processed);
                int first = (int)steps.Start(t, h), previous = carried > 0 ? (int)steps.Start(plan.TimeOf(processed - 1), ldy) : 0;
                for (int row = 0; row < carried; row++)
                    y.Slice(previous + row * ldy, h).CopyTo(previousOutputs.Slice(first + row * h, h));
                h0.Slice(carried * h, (count - carried) * h).CopyTo(previousOutputs[(first + carried * h)..]);
            }
        }

        GemmKernel.Multiply(plan.Context, MatrixOp.Transpose, MatrixOp.None, mergedWidth, h, rows, 1f, dGh, gw, previousOutputs, h, 1f, dWhh, h);
    }

    /// <summary>
    /// dW_hh += dGh^T H_prev (the merged rows of W_hh: all but W_hn for a cell that resets first), where H_prev is h0 for the first processed step and y of the neighbouring time otherwise:
    /// one GEMM for the h0 rows and, time-major, one over the other T-1 steps, whose previous outputs are consecutive rows
    /// of y. Batch-first, a batch row's T-1 pairs are consecutive rows instead, but the rows of the next batch row would
    /// pair its first step with this row's last: one GEMM per batch row (k = T-1) or per step (k = N, strided rows),
    /// whichever makes fewer and longer products.
    /// </summary>
    private static void AccumulateWeightGradientOfRecurrence(in DirectionPlan plan, ReadOnlySpan<float> dGh, ReadOnlySpan<float> h0,
        ReadOnlySpan<float> y, int ldy, Span<float> dWhh)
    {
        DirectionShape s = plan.Shape;
        int gw = s.GateWidth, m = s.MergedWidth, n = s.Batch, h = s.StateWidth, ldg = s.RowStride(gw), ldPrevious = s.RowStride(ldy);
        int firstT = plan.TimeOf(0);
        GemmKernel.Multiply(plan.Context, MatrixOp.Transpose, MatrixOp.None, m, h, n, 1f, dGh[(int)s.StepStart(firstT, gw)..], ldg, h0, h, 1f, dWhh, h);
        if (s.Steps == 1) return;
        // Forward: times 1..T-1 use y at 0..T-2; reverse: times 0..T-2 use y at 1..T-1.
        int firstGradient = plan.Reverse ? 0 : 1, firstPrevious = plan.Reverse ? 1 : 0;
        if (!s.BatchFirst)
        {
            GemmKernel.Multiply(plan.Context, MatrixOp.Transpose, MatrixOp.None, m, h, (s.Steps - 1) * n, 1f, dGh[(firstGradient * n * gw)..], gw,
                y[(firstPrevious * n * ldy)..], ldy, 1f, dWhh, h);
        }
        else if (s.Steps - 1 >= n)
        {
            for (int row = 0; row < n; row++)
                GemmKernel.Multiply(plan.Context, MatrixOp.Transpose, MatrixOp.None, m, h, s.Steps - 1, 1f, dGh[((row * s.Steps + firstGradient) * gw)..], gw,
                    y[((row * s.Steps + firstPrevious) * ldy)..], ldy, 1f, dWhh, h);
        }
        else
        {
            for (int time = 0; time < s.Steps - 1; time++)
                GemmKernel.Multiply(plan.Context, MatrixOp.Transpose, MatrixOp.None, m, h, n, 1f, dGh[((time + firstGradient) * gw)..], ldg,
                    y[((time + firstPrevious) * ldy)..], ldPrevious, 1f, dWhh, h);
        }
    }
}
