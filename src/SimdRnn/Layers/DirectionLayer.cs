using SimdRnn.Cells;
using SimdRnn.Internal;

namespace SimdRnn.Layers;

/// <summary>The sizes of one direction of one layer.</summary>
internal readonly record struct DirectionShape(CellKind Cell, int Steps, int Batch, int Input, int Hidden)
{
    public int GateWidth => Cell.GateCount() * Hidden;
    public int Rows => Steps * Batch;
    public int State => Batch * Hidden;

    // Workspace layout, in floats: what forward keeps for backward, then per-call scratch.
    public long GatesOffset => 0;
    public long GatesLength => (long)Rows * GateWidth;
    public long CellsOffset => GatesOffset + GatesLength;
    public long CellsLength => Cell == CellKind.Lstm ? (long)(Steps + 1) * State : 0;
    public long GhnOffset => CellsOffset + CellsLength;
    public long GhnLength => Cell == CellKind.Gru ? (long)Rows * Hidden : 0;
    public long SavedLength => GhnOffset + GhnLength;

    // Scratch: W_hh packed for the step products (W_hh^T forward, W_hh backward), combined bias, the GRU's
    // recurrent gates (forward) or all its recurrent-side gradients (backward), the running dh and dc.
    public long PackedOffset => SavedLength;
    public long PackedLength => Math.Max(PackedMatrix.BufferLength(Hidden, GateWidth), PackedMatrix.BufferLength(GateWidth, Hidden));
    public long BiasOffset => PackedOffset + PackedLength;
    public long RecurrentGatesOffset => BiasOffset + GateWidth;
    public long RecurrentGatesLength => Cell == CellKind.Gru ? (long)Rows * GateWidth : 0;
    public long DhOffset => RecurrentGatesOffset + RecurrentGatesLength;
    public long DcOffset => DhOffset + State;
    public long WorkspaceLength => DcOffset + State;
}

/// <summary>
/// Sequence forward and BPTT backward of one direction of one layer: the input projection of all steps as one GEMM,
/// the gates as one merged GEMM per step, one fused cell pass per step, and the weight gradients as two large GEMMs
/// over all T*N rows that add into the caller's gradients.
/// </summary>
internal static class DirectionLayer
{
    /// <summary>
    /// x is T*N x I; y rows have stride <paramref name="ldy"/> (the other direction may interleave); h0, c0, hT and cT
    /// are N x H. In training mode the workspace keeps what <see cref="Backward"/> needs.
    /// </summary>
    public static void Forward(in DirectionShape s, bool reverse, ReadOnlySpan<float> x, ReadOnlySpan<float> wih,
        ReadOnlySpan<float> whh, ReadOnlySpan<float> bih, ReadOnlySpan<float> bhh, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0,
        Span<float> y, int ldy, Span<float> hT, Span<float> cT, Span<float> workspace, bool training, SimdPath path, int threads = -1)
    {
        int gw = s.GateWidth, n = s.Batch, h = s.Hidden;
        Span<float> gates = workspace.Slice((int)s.GatesOffset, (int)s.GatesLength);
        Span<float> bias = workspace.Slice((int)s.BiasOffset, gw);
        bool gru = s.Cell == CellKind.Gru;
        ReadOnlySpan<float> whhT = PackedMatrix.PackInto(MatrixOp.Transpose, h, gw, whh, h, PackedScratch(s, workspace), path, threads);

        // All steps' input projections at once: gates = X W_ih^T.
        Blas.Sgemm(false, true, s.Rows, gw, s.Input, 1f, x, s.Input, wih, s.Input, 0f, gates, gw, path, threads);
        if (!gru)
            Elementwise.Binary<AddOperator>(bih[..gw], bhh[..gw], bias, path);

        Span<float> cells = s.Cell == CellKind.Lstm ? workspace.Slice((int)s.CellsOffset, (int)s.CellsLength) : default;
        if (s.Cell == CellKind.Lstm) c0.CopyTo(cells);

        for (int step = 0; step < s.Steps; step++)
        {
            int t = TimeOf(s, reverse, step);
            ReadOnlySpan<float> hPrev = PreviousState(s, reverse, step, h0, y, ldy, out int ldhPrev);
            Span<float> stepGates = gates.Slice(t * n * gw, n * gw);
            Span<float> yt = y.Slice(t * n * ldy);
            switch (s.Cell)
            {
                case CellKind.Lstm:
                {
                    Blas.SgemmPacked(n, gw, h, hPrev, ldhPrev, whhT, 1f, stepGates, gw, path, threads);
                    // Training keeps every step's c; inference updates one c in place.
                    Span<float> cPrev = training ? cells.Slice(step * s.State, s.State) : cells[..s.State];
                    Span<float> c = training ? cells.Slice((step + 1) * s.State, s.State) : cPrev;
                    LstmCell.Forward(stepGates, bias, cPrev, c, yt, ldy, n, h, training, path, threads);
                    if (step == s.Steps - 1) c.CopyTo(cT);
                    break;
                }

                case CellKind.Gru:
                {
                    Span<float> gh = workspace.Slice((int)s.RecurrentGatesOffset, n * gw);
                    Blas.SgemmPacked(n, gw, h, hPrev, ldhPrev, whhT, 0f, gh, gw, path, threads);
                    Span<float> ghn = training ? workspace.Slice((int)s.GhnOffset + t * s.State, s.State) : default;
                    GruCell.Forward(stepGates, gh, bih, bhh, hPrev, ldhPrev, yt, ldy, ghn, n, h, training, path, threads);
                    break;
                }

                default:
                    Blas.SgemmPacked(n, gw, h, hPrev, ldhPrev, whhT, 1f, stepGates, gw, path, threads);
                    RnnCell.Forward(stepGates, bias, yt, ldy, n, h, s.Cell == CellKind.RnnRelu ? RnnActivation.Relu : RnnActivation.Tanh, path, threads);
                    break;
            }
        }

        int lastT = reverse ? 0 : s.Steps - 1;
        for (int row = 0; row < n; row++)
            y.Slice((lastT * n + row) * ldy, h).CopyTo(hT.Slice(row * h, h));
    }

    /// <summary>
    /// BPTT from dy (T*N rows of stride <paramref name="lddy"/>), dhT and dcT, after a training forward that filled
    /// the workspace. Writes (or, with <paramref name="accumulateDx"/>, adds) dx (skipped when dx is empty), writes
    /// dh0 / dc0, and adds into the weight and bias gradients.
    /// </summary>
    public static void Backward(in DirectionShape s, bool reverse, ReadOnlySpan<float> x, ReadOnlySpan<float> wih,
        ReadOnlySpan<float> whh, ReadOnlySpan<float> h0, ReadOnlySpan<float> y, int ldy, ReadOnlySpan<float> dy, int lddy,
        ReadOnlySpan<float> dhT, ReadOnlySpan<float> dcT, Span<float> dx, bool accumulateDx, Span<float> dh0, Span<float> dc0,
        Span<float> dWih, Span<float> dWhh, Span<float> dBih, Span<float> dBhh, Span<float> workspace, SimdPath path, int threads = -1)
    {
        int gw = s.GateWidth, n = s.Batch, h = s.Hidden;
        Span<float> gates = workspace.Slice((int)s.GatesOffset, (int)s.GatesLength);
        Span<float> dh = workspace.Slice((int)s.DhOffset, s.State);
        Span<float> dc = workspace.Slice((int)s.DcOffset, s.State);
        bool gru = s.Cell == CellKind.Gru;
        // LSTM and RNN share one gradient for both GEMM sides; the GRU's recurrent side differs in its n part.
        Span<float> recurrentGradients = gru ? workspace.Slice((int)s.RecurrentGatesOffset, (int)s.RecurrentGatesLength) : gates;
        ReadOnlySpan<float> packedWhh = PackedMatrix.PackInto(MatrixOp.None, gw, h, whh, h, PackedScratch(s, workspace), path, threads);
        dhT.CopyTo(dh);
        if (s.Cell == CellKind.Lstm) dcT.CopyTo(dc);

        for (int step = s.Steps - 1; step >= 0; step--)
        {
            int t = TimeOf(s, reverse, step);
            ReadOnlySpan<float> hPrev = PreviousState(s, reverse, step, h0, y, ldy, out int ldhPrev);
            Span<float> stepGates = gates.Slice(t * n * gw, n * gw);
            ReadOnlySpan<float> dyt = dy.Slice(t * n * lddy);
            switch (s.Cell)
            {
                case CellKind.Lstm:
                {
                    Span<float> cells = workspace.Slice((int)s.CellsOffset, (int)s.CellsLength);
                    LstmCell.Backward(stepGates, cells.Slice((step + 1) * s.State, s.State), cells.Slice(step * s.State, s.State),
                        dyt, lddy, dh, dc, n, h, path, threads);
                    Blas.SgemmPacked(n, h, gw, stepGates, gw, packedWhh, 0f, dh, h, path, threads);
                    break;
                }

                case CellKind.Gru:
                {
                    Span<float> dGh = recurrentGradients.Slice(t * n * gw, n * gw);
                    GruCell.Backward(stepGates, workspace.Slice((int)s.GhnOffset + t * s.State, s.State), hPrev, ldhPrev,
                        dyt, lddy, dh, dGh, dh, n, h, path, threads);
                    Blas.SgemmPacked(n, h, gw, dGh, gw, packedWhh, 1f, dh, h, path, threads);
                    break;
                }

                default:
                    RnnCell.Backward(y.Slice(t * n * ldy), ldy, dyt, lddy, dh, stepGates, n, h,
                        s.Cell == CellKind.RnnRelu ? RnnActivation.Relu : RnnActivation.Tanh, path, threads);
                    Blas.SgemmPacked(n, h, gw, stepGates, gw, packedWhh, 0f, dh, h, path, threads);
                    break;
            }
        }

        dh.CopyTo(dh0);
        if (s.Cell == CellKind.Lstm) dc.CopyTo(dc0);

        // dx = dGi W_ih, and the weight gradients as large GEMMs over all T*N rows (beta = 1: accumulate).
        if (!dx.IsEmpty)
            Blas.Sgemm(false, false, s.Rows, s.Input, gw, 1f, gates, gw, wih, s.Input, accumulateDx ? 1f : 0f, dx, s.Input, path, threads);
        Blas.Sgemm(true, false, gw, s.Input, s.Rows, 1f, gates, gw, x, s.Input, 1f, dWih, s.Input, path, threads);
        AccumulateWeightGradientOfRecurrence(s, reverse, recurrentGradients, h0, y, ldy, dWhh, path, threads);
        ColumnSums.AddTo(gates, s.Rows, gw, dBih, path);
        ColumnSums.AddTo(recurrentGradients, s.Rows, gw, dBhh, path);
    }

    private static Span<float> PackedScratch(in DirectionShape s, Span<float> workspace) =>
        workspace.Slice((int)s.PackedOffset, (int)s.PackedLength);

    /// <summary>The time index that processing step <paramref name="step"/> reaches.</summary>
    private static int TimeOf(in DirectionShape s, bool reverse, int step) => reverse ? s.Steps - 1 - step : step;

    /// <summary>The state entering processing step <paramref name="step"/>: h0, or the output of the step before it.</summary>
    private static ReadOnlySpan<float> PreviousState(in DirectionShape s, bool reverse, int step, ReadOnlySpan<float> h0,
        ReadOnlySpan<float> y, int ldy, out int ld)
    {
        ld = step == 0 ? s.Hidden : ldy;
        return step == 0 ? h0 : y.Slice(TimeOf(s, reverse, step - 1) * s.Batch * ldy);
    }

    /// <summary>
    /// dW_hh += dGh^T H_prev, where H_prev is h0 for the first processed step and y of the neighbouring time otherwise:
    /// one GEMM for the h0 rows and one over the other T-1 steps, whose previous outputs are consecutive rows of y.
    /// </summary>
    private static void AccumulateWeightGradientOfRecurrence(in DirectionShape s, bool reverse, ReadOnlySpan<float> dGh,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> y, int ldy, Span<float> dWhh, SimdPath path, int threads)
    {
        int gw = s.GateWidth, n = s.Batch, h = s.Hidden;
        int firstT = reverse ? s.Steps - 1 : 0;
        Blas.Sgemm(true, false, gw, h, n, 1f, dGh.Slice(firstT * n * gw), gw, h0, h, 1f, dWhh, h, path, threads);
        if (s.Steps == 1) return;
        int rows = (s.Steps - 1) * n;
        // Forward: steps 1..T-1 use y[0..T-2]; reverse: times 0..T-2 use y[1..T-1].
        ReadOnlySpan<float> gradients = reverse ? dGh : dGh.Slice(n * gw);
        ReadOnlySpan<float> previous = reverse ? y.Slice(n * ldy) : y;
        Blas.Sgemm(true, false, gw, h, rows, 1f, gradients, gw, previous, ldy, 1f, dWhh, h, path, threads);
    }
}
