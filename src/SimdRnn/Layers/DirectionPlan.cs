using SimdRnn.Cells;
using SimdRnn.Execution;

namespace SimdRnn.Layers;

/// <summary>What a layer's loops and workspace layout need to know of a cell type.</summary>
internal readonly record struct CellTraits(int GateCount, bool HasCellState, bool KeepsRecurrentProductApart, bool SavesExtraState,
    bool ResetsBeforeRecurrentProduct = false)
{
    public static CellTraits Of<TCell>() where TCell : struct, ICell =>
        new(TCell.GateCount, TCell.HasCellState, TCell.KeepsRecurrentProductApart, TCell.SavesExtraState, TCell.ResetsBeforeRecurrentProduct);

    /// <summary>The gates whose recurrent products are one merged GEMM of h_{t-1}: all, or all but the last (see <see cref="ICell.ResetsBeforeRecurrentProduct"/>).</summary>
    public int MergedGateCount => ResetsBeforeRecurrentProduct ? GateCount - 1 : GateCount;
}

/// <summary>
/// The sizes of one direction of one layer and its workspace layout, in floats. Training keeps, indexed by time t, the
/// activated gates, the cell state and the cell's extra state for backward, plus backward's scratch; inference keeps
/// one step of each.
/// </summary>
/// <remarks>
/// The sequence tensors (x, y, dy, dx, the gates and their gradients: T*N rows each) are time-major (row t*N + n), or
/// batch-major with <paramref name="BatchFirst"/> (row n*T + t, PyTorch's batch_first): the whole-sequence GEMMs run over
/// the rows in whichever order they are stored, and a step reads its N rows at <see cref="StepStart"/> with a stride of
/// <see cref="RowStride"/> (the microkernel and the cells take leading dimensions), so nothing is copied.
/// With a <paramref name="Projection"/> (an LSTM's P), the cell's output o * tanh(c) (H wide) goes to its own buffer and
/// h_t = that W_hr^T (P wide) is the output and the recurrent state: y, h0, hT, dh are <see cref="StateWidth"/> wide.
/// </remarks>
internal readonly record struct DirectionShape(CellTraits Cell, int Steps, int Batch, int Input, int Hidden, bool Training, bool BatchFirst = false,
    int Projection = 0)
{
    public int GateWidth => Cell.GateCount * Hidden;

    /// <summary>The columns of the merged recurrent product (the first rows of W_hh): <see cref="GateWidth"/>, or less by the gate taken of r * h.</summary>
    public int MergedWidth => Cell.MergedGateCount * Hidden;
    public int Rows => Steps * Batch;

    /// <summary>N x H: the cell state of a step (and, without a projection, the hidden state).</summary>
    public int State => Batch * Hidden;

    /// <summary>S, the width of the hidden state and the output: P with a projection, else H.</summary>
    public int StateWidth => Projection > 0 ? Projection : Hidden;

    /// <summary>Where time <paramref name="time"/>'s first row starts in a sequence tensor of rows <paramref name="width"/> floats apart.</summary>
    public nint StepStart(int time, int width) => BatchFirst ? (nint)time * width : (nint)time * Batch * width;

    /// <summary>The distance between the rows of one time step (batch rows n and n + 1).</summary>
    public int RowStride(int width) => BatchFirst ? Steps * width : width;

    // What forward keeps for backward: the gates of every step (inference needs them too: the input projection of
    // all steps is one GEMM), then the cell states (T + 1 slots: c_t and the initial state, see DirectionPlan.CellSlot;
    // one slot, updated in place, in inference) and the extra state of every step.
    public long GatesLength => (long)Rows * GateWidth;
    public long CellsOffset => GatesLength;
    public long CellsLength => !Cell.HasCellState ? 0 : Training ? (long)(Steps + 1) * State : State;
    public long ExtraOffset => CellsOffset + CellsLength;
    // (A cell that resets before the product keeps r * h_{t-1} in it: one step of it in inference too.)
    public long ExtraLength => !Cell.SavesExtraState ? 0 : Training ? (long)Rows * Hidden : Cell.ResetsBeforeRecurrentProduct ? State : 0;

    // Scratch: the combined bias, the recurrent product of a step (cells that keep it apart; backward's recurrent-side
    // gradients of every step), dh and dc. (W_hh packed for the step products lives once per stack: see StackLayout.)
    public long BiasOffset => ExtraOffset + ExtraLength;
    public long RecurrentGatesOffset => BiasOffset + GateWidth;
    public long RecurrentGatesLength => !Cell.KeepsRecurrentProductApart ? 0 : Training ? (long)Rows * GateWidth : (long)State * Cell.GateCount;
    public long DhOffset => RecurrentGatesOffset + RecurrentGatesLength;
    public long DhLength => Training ? (long)Batch * StateWidth : 0;
    public long DcOffset => DhOffset + DhLength;
    public long DcLength => Training && Cell.HasCellState ? State : 0;
    public long ResetProductGradientOffset => DcOffset + DcLength;
    public long ResetProductGradientLength => Training && Cell.ResetsBeforeRecurrentProduct ? State : 0;

    // A projection's buffers: the cell's output m = o * tanh(c) before W_hr (every step in training: dW_hr needs it; one
    // step in inference), and for backward the total dh of every step (dW_hr = dH^T M after the steps), dm = dh W_hr of a
    // step, and N x H zeros: the cell's backward reads dm as its dy and the zeros as its recurrent part (dm holds all of it).
    public long UnprojectedOffset => ResetProductGradientOffset + ResetProductGradientLength;
    public long UnprojectedLength => Projection == 0 ? 0 : Training ? (long)Rows * Hidden : State;
    public long ProjectedGradientsOffset => UnprojectedOffset + UnprojectedLength;
    public long ProjectedGradientsLength => Projection > 0 && Training ? (long)Rows * Projection : 0;
    public long UnprojectedGradientOffset => ProjectedGradientsOffset + ProjectedGradientsLength;
    public long UnprojectedGradientLength => Projection > 0 && Training ? State : 0;
    public long ZerosOffset => UnprojectedGradientOffset + UnprojectedGradientLength;
    public long WorkspaceLength => ZerosOffset + UnprojectedGradientLength;

    /// <summary>Floats that packing the merged rows of W_hh (S wide; and, for training, their transpose as well) into a caller's buffer needs.</summary>
    public long PackedRecurrentLength => Training
        ? Math.Max(PackedMatrix.BufferLength(StateWidth, MergedWidth), PackedMatrix.BufferLength(MergedWidth, StateWidth))
        : PackedMatrix.BufferLength(StateWidth, MergedWidth);

    /// <summary>Floats that packing W_hr^T (and, for training, W_hr as well) needs; 0 without a projection.</summary>
    public long PackedProjectionLength => Projection == 0 ? 0 : Training
        ? Math.Max(PackedMatrix.BufferLength(Hidden, Projection), PackedMatrix.BufferLength(Projection, Hidden))
        : PackedMatrix.BufferLength(Hidden, Projection);

    /// <summary>Floats that packing the last gate's rows of W_hh (H x H, either way) needs when they are not merged.</summary>
    public long PackedCandidateLength => Cell.ResetsBeforeRecurrentProduct ? PackedMatrix.BufferLength(Hidden, Hidden) : 0;

    public Span<float> Gates(Span<float> workspace) => workspace[..(int)GatesLength];
    public Span<float> Cells(Span<float> workspace) => workspace.Slice((int)CellsOffset, (int)CellsLength);
    public Span<float> Extra(Span<float> workspace) => workspace.Slice((int)ExtraOffset, (int)ExtraLength);
    public Span<float> Bias(Span<float> workspace) => workspace.Slice((int)BiasOffset, GateWidth);
    public Span<float> RecurrentGates(Span<float> workspace) => workspace.Slice((int)RecurrentGatesOffset, (int)RecurrentGatesLength);
    public Span<float> Dh(Span<float> workspace) => workspace.Slice((int)DhOffset, (int)DhLength);
    public Span<float> Dc(Span<float> workspace) => workspace.Slice((int)DcOffset, (int)DcLength);
    public Span<float> ResetProductGradient(Span<float> workspace) => workspace.Slice((int)ResetProductGradientOffset, (int)ResetProductGradientLength);
    public Span<float> Unprojected(Span<float> workspace) => workspace.Slice((int)UnprojectedOffset, (int)UnprojectedLength);
    public Span<float> ProjectedGradients(Span<float> workspace) => workspace.Slice((int)ProjectedGradientsOffset, (int)ProjectedGradientsLength);
    public Span<float> UnprojectedGradient(Span<float> workspace) => workspace.Slice((int)UnprojectedGradientOffset, (int)UnprojectedGradientLength);
    public Span<float> Zeros(Span<float> workspace) => workspace.Slice((int)ZerosOffset, (int)UnprojectedGradientLength);
}

/// <summary>
/// The execution context of one direction of one layer (as BLIS carries its context and oneDNN its rnn_conf_t): how
/// its kernels run, its shape and workspace layout, and its direction. Made once per call by the stack.
/// </summary>
internal readonly record struct DirectionPlan(KernelContext Context, DirectionShape Shape, bool Reverse)
{
    /// <summary>How the steps are divided among a team (tests force each way).</summary>
    public StepSplitRule Split { get; init; }

    /// <summary>The time index that processing step <paramref name="step"/> reaches.</summary>
    public int TimeOf(int step) => Reverse ? Shape.Steps - 1 - step : step;

    /// <summary>
    /// The cell-state slot of time <paramref name="time"/>: saved state is indexed by time, with the initial state in
    /// the extra slot on the side the direction starts from (slot 0 forward, slot T reverse), so c_t sits at t + 1
    /// forward and at t in reverse, and the state before it is always the neighbouring slot. Inference has one slot.
    /// </summary>
    public int CellSlot(int time) => Shape.Training ? time + (Reverse ? 0 : 1) : 0;

    /// <summary>The slot of the state that entered time <paramref name="time"/>.</summary>
    public int PreviousCellSlot(int time) => Shape.Training ? CellSlot(time) + (Reverse ? 1 : -1) : 0;

    public int InitialCellSlot => Shape.Training && Reverse ? Shape.Steps : 0;
}
