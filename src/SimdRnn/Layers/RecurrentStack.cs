using System.Runtime.InteropServices;
using SimdRnn.Execution;
using SimdRnn.Layers;

namespace SimdRnn;

/// <summary>
/// A multi-layer, optionally bidirectional RNN, LSTM or GRU over a whole sequence, forward and BPTT backward, with
/// PyTorch's semantics and weight layout (see <see cref="RecurrentParameters"/>).
/// </summary>
/// <remarks>
/// <para>Layout is time-major: x is T x N x I; y is T x N x (D*H) with the directions concatenated (forward, then
/// reverse) as PyTorch does (batch-first with <see cref="RecurrentStackOptions.BatchFirst"/>: N x T x I and N x T x (D*H));
/// h0, hT, c0, cT are (layers*D) x N x H, ordered layer-major (l0, l0 reverse, l1, ...).
/// c0 / cT / dcT / dc0 are used by LSTM only (pass empty spans otherwise). An LSTM with a projection
/// (<see cref="RecurrentStackOptions.ProjectionSize"/> = P) has P in place of H in y, h0 and hT (and their gradients);
/// c0 and cT stay H wide.</para>
/// <para>Variable-length batches, as PyTorch's <c>pack_padded_sequence</c> / <c>pad_packed_sequence</c>: pass a length
/// per batch row (any order, each in [1, T]) to <c>Forward</c> and the same to its <c>Backward</c>. Row n then has
/// steps 0 .. length[n]-1; y is 0 at the padded positions, hT / cT are each row's state after its own last step, the
/// reverse direction starts at each row's last step, padded x and dy are never read and padded dx is 0. The work is
/// that of the valid steps only (the layers run on PyTorch's packed layout in the workspace:
/// <see cref="WorkspaceLength(int, int, bool, bool, bool)"/> with variableLengths), and every valid result is bitwise what the row
/// gives alone (with <see cref="Dropout"/> in training, what it gives at the same index of any batch: its mask follows
/// its index).</para>
/// <para>The caller brings the workspace (<see cref="WorkspaceLength(int, int, bool, bool, bool)"/> floats; an inference-only caller needs far less than a training one): after the first call forward and backward
/// allocate nothing. A training forward keeps in it what <c>Backward</c> needs, and backward uses it up (the
/// gate gradients overwrite the saved gates), so each backward follows its own training forward. Backward adds
/// into the gradients: two forward-backward passes over the same data double them. An instance holds only sizes, so it is safe to use from many threads
/// with separate workspaces.</para>
/// </remarks>
public sealed class RecurrentStack
{
    /// <summary>A stack of <paramref name="layers"/> layers of <paramref name="cell"/>.</summary>
    /// <param name="cell">The cell kind.</param>
    /// <param name="inputSize">I, the input width of the first layer.</param>
    /// <param name="hiddenSize">H.</param>
    /// <param name="layers">The number of stacked layers.</param>
    /// <param name="bidirectional">Whether every layer also runs a reverse direction.</param>
    /// <param name="options">Biases or none, batch-first or time-major, dropout between layers, the GRU's form, an LSTM projection or none
    /// (see <see cref="RecurrentStackOptions"/>); null for PyTorch's defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or the layer count is below 1, <paramref name="cell"/> is not a defined <see cref="CellKind"/>,
    /// or the options' projection size is not in [0, H).</exception>
    /// <exception cref="ArgumentException"><see cref="RecurrentStackOptions.LinearBeforeReset"/> is false for a cell other than <see cref="CellKind.Gru"/>,
    /// or the options set a projection for a cell other than LSTM.</exception>
    public RecurrentStack(CellKind cell, int inputSize, int hiddenSize, int layers = 1, bool bidirectional = false, RecurrentStackOptions? options = null)
    {
        ValidateShape(cell, inputSize, hiddenSize, layers);
        ValidateProjection(cell, hiddenSize, options?.ProjectionSize ?? 0, nameof(options));
        LinearBeforeReset = options?.LinearBeforeReset ?? true;
        if (!LinearBeforeReset && cell != CellKind.Gru)
            ThrowHelper.ThrowArgument(nameof(options),
                $"{nameof(options)}.{nameof(RecurrentStackOptions.LinearBeforeReset)} = false applies to {CellKind.Gru} only, but the cell is {cell}.");
        Cell = cell;
        _layer = cell.Layer(LinearBeforeReset);
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        Layers = layers;
        Directions = bidirectional ? 2 : 1;
        Bias = options?.Bias ?? true;
        BatchFirst = options?.BatchFirst ?? false;
        ProjectionSize = options?.ProjectionSize ?? 0;
        Dropout = options?.Dropout ?? 0f;
    }

    /// <summary>The cell kind.</summary>
    public CellKind Cell { get; }

    /// <summary>I.</summary>
    public int InputSize { get; }

    /// <summary>H.</summary>
    public int HiddenSize { get; }

    /// <summary>The number of layers.</summary>
    public int Layers { get; }

    /// <summary>1, or 2 when bidirectional.</summary>
    public int Directions { get; }

    /// <summary>Whether the layers have biases (<see cref="RecurrentStackOptions.Bias"/>); the parameters must agree.</summary>
    public bool Bias { get; }

    /// <summary>GRU: whether r multiplies the recurrent product (true, PyTorch's form) or h before it (false, ONNX's default); see <see cref="RecurrentStackOptions.LinearBeforeReset"/>. True for the other cells.</summary>
    public bool LinearBeforeReset { get; }

    /// <summary>Whether x, y, dy and dx are N x T x ... (<see cref="RecurrentStackOptions.BatchFirst"/>) rather than T x N x ....</summary>
    public bool BatchFirst { get; }

    /// <summary>P, an LSTM's projected hidden size (<see cref="RecurrentStackOptions.ProjectionSize"/>), or 0 for none; the parameters must agree.</summary>
    public int ProjectionSize { get; }

    /// <summary>The width of the hidden state and of a direction's output: P with a projection, else H.</summary>
    internal int StateSize => ProjectionSize > 0 ? ProjectionSize : HiddenSize;

    /// <summary>The dropout probability between layers in training (<see cref="RecurrentStackOptions.Dropout"/>; 0: none).</summary>
    public float Dropout { get; }

    /// <summary>
    /// The most threads one call uses (the matrix products and the per-step cell passes split across them);
    /// -1 (the default) for all processors. Results are bitwise the same for any value.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is 0 or below -1.</exception>
    public int MaxDegreeOfParallelism
    {
        get => _maxDegreeOfParallelism;
        init
        {
            Parallelism.ThrowIfInvalidBudget(value, nameof(MaxDegreeOfParallelism));
            _maxDegreeOfParallelism = value;
        }
    }

    private readonly int _maxDegreeOfParallelism = -1;
    private readonly IDirectionLayer _layer;

    /// <summary>What the layout and the packing need to know of the cell type the stack runs.</summary>
    internal CellTraits CellTraits => _layer.Cell;

    /// <summary>The SIMD path the kernels take: <see cref="Cpu.Path"/>; tests set a narrower one to run every path in-process.</summary>
    internal SimdPath Path { get; init; } = Cpu.Path;

    /// <summary>How a direction's steps are divided among threads; tests force each way (the results are the same).</summary>
    internal StepSplitRule StepSplit { get; init; }

    /// <summary>Zero-filled parameters (or gradients) of this stack's shape.</summary>
    public RecurrentParameters CreateParameters() => new(Cell, InputSize, HiddenSize, Layers, Directions == 2, Bias, ProjectionSize);

    /// <summary>
    /// Packs <paramref name="parameters"/> once for this stack's kernels: calls with the result pack nothing (an
    /// inference caller keeps it for as long as the weights do not change; a trainer prepares with
    /// <paramref name="training"/> and calls <see cref="PreparedWeights.Refresh"/> after each optimizer step).
    /// </summary>
    /// <param name="parameters">The weights; the result refers to them.</param>
    /// <param name="training">Also pack what <see cref="Backward(int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, PreparedWeights, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float}, RecurrentParameters, Span{float}, ReadOnlySpan{int})"/> needs (W_hh for the backward steps).</param>
    /// <param name="format">How the packed weight matrices are stored: <see cref="WeightFormat.Float32"/> (bitwise the
    /// results of the parameters) or <see cref="WeightFormat.BFloat16"/> (half the bytes per step, inference only).</param>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> is null.</exception>
    /// <exception cref="ArgumentException">The parameters have another shape than the stack, or bfloat16 weights were
    /// asked for training.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="format"/> is not a defined <see cref="WeightFormat"/>.</exception>
    public PreparedWeights Prepare(RecurrentParameters parameters, bool training = false, WeightFormat format = WeightFormat.Float32)
    {
        ThrowIfOtherShape(parameters, nameof(parameters));
        if (format is not (WeightFormat.Float32 or WeightFormat.BFloat16))
            ThrowHelper.ThrowOutOfRange(nameof(format), format, "The format must be a defined WeightFormat.");
        if (training && format != WeightFormat.Float32)
            ThrowHelper.ThrowArgument(nameof(format), $"{format} weights are for inference; training needs {WeightFormat.Float32}.");
        return new PreparedWeights(this, parameters, training, format);
    }

    /// <summary>The workspace, in floats, that a training <c>Forward</c> and its <c>Backward</c> need for T steps of N rows.</summary>
    /// <exception cref="ArgumentOutOfRangeException">steps or batch is below 1, or T x N rows of the widest tensor would not fit one span.</exception>
    public long WorkspaceLength(int steps, int batch) => WorkspaceLength(steps, batch, training: true);

    /// <summary>
    /// The workspace, in floats, for T steps of N rows: with <paramref name="training"/>, what a training
    /// <c>Forward</c> keeps for <c>Backward</c> and backward's scratch; without, what an inference forward
    /// needs, which is much less (one step of state, the layers' and directions' scratch shared). Calls with
    /// <see cref="PreparedWeights"/> (<paramref name="preparedWeights"/>) need no room to pack W_hh. Calls with
    /// lengths (<paramref name="variableLengths"/>) need room for the packed sequence as well (for any lengths; a call
    /// whose lengths are all T runs dense and needs only the dense room).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">steps or batch is below 1, or T x N rows of the widest tensor would not fit one span.</exception>
    public long WorkspaceLength(int steps, int batch, bool training, bool preparedWeights = false, bool variableLengths = false)
    {
        ValidateSequence(steps, batch);
        // Every per-step and per-layer size below is an int: refuse sequences whose pieces would not fit one (no span could hold them).
        long width = Math.Max(Math.Max(InputSize, (long)Directions * StateSize), (long)Cell.GateCount() * HiddenSize);
        if ((double)steps * batch * width > int.MaxValue)
            ThrowHelper.ThrowOutOfRange(steps >= batch ? nameof(steps) : nameof(batch), steps >= batch ? steps : batch,
                $"T={steps} x N={batch} rows of {width} floats are more than one span can hold.");
        return new StackLayout(this, steps, batch, training, preparedWeights, variableLengths).Length;
    }

    /// <summary>
    /// Runs the stack over the sequence. With <paramref name="training"/> the workspace keeps what
    /// <c>Backward</c> needs; otherwise (inference) nothing is kept. The optional lengths (one per batch row, each in
    /// [1, T]) make it a variable-length batch (see the remarks of <see cref="RecurrentStack"/>); empty: every row has T steps.
    /// </summary>
    /// <param name="steps">T.</param>
    /// <param name="batch">N.</param>
    /// <param name="x">The input, T x N x I (N x T x I batch-first).</param>
    /// <param name="h0">The initial hidden states, (layers*D) x N x H.</param>
    /// <param name="c0">LSTM: the initial cell states, as h0; ignored otherwise (pass an empty span).</param>
    /// <param name="parameters">The weights.</param>
    /// <param name="y">Receives the last layer's output, T x N x (D*H) (N x T x (D*H) batch-first).</param>
    /// <param name="hT">Receives the final hidden states, as h0.</param>
    /// <param name="cT">LSTM: receives the final cell states; ignored otherwise (neither read nor written; pass an empty span).</param>
    /// <param name="workspace">At least <see cref="WorkspaceLength(int, int, bool, bool, bool)"/> floats.</param>
    /// <param name="training">Keep what <c>Backward</c> needs (and apply <see cref="Dropout"/>); false for inference.</param>
    /// <param name="lengths">One length per batch row, each in [1, T], for a variable-length batch; empty: every row has T steps.</param>
    /// <param name="dropoutSeed">With <see cref="Dropout"/> &gt; 0 in training, the seed of this call's masks: the same seed gives
    /// the same masks (see <see cref="RecurrentStackOptions.Dropout"/> for what else they depend on), and backward reuses
    /// them; ignored otherwise.</param>
    /// <exception cref="ArgumentException">A span has the wrong length, the parameters have another shape, the workspace is too small,
    /// or an output (y, hT, cT, workspace) shares memory with an input, the parameters or another output.</exception>
    /// <exception cref="ArgumentOutOfRangeException">steps or batch is below 1, or a length is outside [1, T].</exception>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> is null.</exception>
    public void Forward(int steps, int batch, ReadOnlySpan<float> x, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0,
        RecurrentParameters parameters, Span<float> y, Span<float> hT, Span<float> cT, Span<float> workspace, bool training,
        ReadOnlySpan<int> lengths = default, ulong dropoutSeed = 0)
    {
        ThrowIfOtherShape(parameters, nameof(parameters));
        RunForward(steps, batch, x, h0, c0, parameters, null, y, hT, cT, workspace, training, lengths, dropoutSeed);
    }

    /// <summary>
    /// <see cref="Forward(int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, RecurrentParameters, Span{float}, Span{float}, Span{float}, Span{float}, bool, ReadOnlySpan{int}, ulong)"/>
    /// with weights packed once by <see cref="Prepare"/> (and the same optional lengths and dropout seed): nothing is packed per call, and the workspace needs no room
    /// for it (<see cref="WorkspaceLength(int, int, bool, bool, bool)"/> with preparedWeights). Bitwise the same results.
    /// </summary>
    /// <exception cref="ArgumentException">As for the other overload, or the weights were prepared by a stack of another shape or path,
    /// or they are <see cref="WeightFormat.BFloat16"/> and <paramref name="training"/> is set.</exception>
    /// <exception cref="ArgumentOutOfRangeException">steps or batch is below 1, or a length is outside [1, T].</exception>
    /// <exception cref="ArgumentNullException"><paramref name="weights"/> is null.</exception>
    public void Forward(int steps, int batch, ReadOnlySpan<float> x, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0,
        PreparedWeights weights, Span<float> y, Span<float> hT, Span<float> cT, Span<float> workspace, bool training,
        ReadOnlySpan<int> lengths = default, ulong dropoutSeed = 0)
    {
        ThrowIfNotUsable(weights, nameof(weights), forBackward: false);
        if (training && weights.Format != WeightFormat.Float32)
            ThrowHelper.ThrowArgument(nameof(weights), $"{nameof(weights)} hold {weights.Format} weights, which are for inference (training: false).");
        RunForward(steps, batch, x, h0, c0, weights.Parameters, weights, y, hT, cT, workspace, training, lengths, dropoutSeed);
    }

    private void RunForward(int steps, int batch, ReadOnlySpan<float> x, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0,
        RecurrentParameters parameters, PreparedWeights? prepared, Span<float> y, Span<float> hT, Span<float> cT, Span<float> workspace, bool training,
        ReadOnlySpan<int> lengths, ulong dropoutSeed)
    {
        bool packed = ThrowIfInvalidLengths(lengths, steps, batch);
        ThrowIfWorkspaceTooSmall(steps, batch, workspace, training, prepared is not null, packed);
        ExpectLength(x, (long)steps * batch * InputSize, nameof(x));
        ExpectStates(h0, c0, batch, nameof(h0), nameof(c0));
        ExpectLength(y, (long)steps * batch * Directions * StateSize, nameof(y));
        ExpectStates(hT, cT, batch, nameof(hT), nameof(cT));
        bool lstm = _layer.Cell.HasCellState;
        RecurrentArguments.ThrowIfForwardOverlaps(x, h0, lstm ? c0 : default, parameters.All, y, hT, lstm ? cT : default, workspace);

        int state = batch * StateSize, cellState = batch * HiddenSize, outputWidth = Directions * StateSize;
        var layout = new StackLayout(this, steps, batch, training, prepared is not null, packed);
        // Variable lengths: the layers run on the packed sequence, whose edges are moved here (x in, y and the states out).
        PackedBatch packing = packed ? new PackedBatch(lengths, steps, layout.Packing(workspace), BatchFirst) : default;
        if (packed) packing.Gather(x, InputSize, layout.PackedInput(workspace));
        ReadOnlySpan<float> stackInput = packed ? layout.PackedInput(workspace) : x;
        Span<float> stackOutput = packed ? layout.PackedOutput(workspace) : y;
        if (layout.Dropout) MemoryMarshal.Write(MemoryMarshal.AsBytes(layout.Seed(workspace)), dropoutSeed);
        for (int layer = 0; layer < Layers; layer++)
        {
            ReadOnlySpan<float> input = LayerInput(layout, workspace, stackInput, layer);
            Span<float> output = layer == Layers - 1 ? stackOutput : layout.LayerOutput(workspace, layer);
            for (int direction = 0; direction < Directions; direction++)
            {
                int s = layer * Directions + direction;
                ReadOnlySpan<float> h0s = h0.Slice(s * state, state), c0s = lstm ? c0.Slice(s * cellState, cellState) : default;
                Span<float> hTs = hT.Slice(s * state, state), cTs = lstm ? cT.Slice(s * cellState, cellState) : default;
                if (packed)
                {
                    h0s = packing.SortStates(h0s, StateSize, layout.SortedState(workspace, 0))[..state];
                    c0s = lstm ? packing.SortStates(c0s, HiddenSize, layout.SortedState(workspace, 1)) : default;
                    hTs = layout.SortedState(workspace, 2)[..state];
                    cTs = lstm ? layout.SortedState(workspace, 3) : default;
                }

                _layer.Forward(layout.Plan(Context, layer, direction), Weights(parameters, prepared, layer, direction, layout, workspace), input,
                    h0s, c0s, output[(direction * StateSize)..], outputWidth, hTs, cTs, layout.DirectionWorkspace(workspace, layer, direction),
                    packing.StepOffsets);
                if (packed)
                {
                    packing.UnsortStates(hTs, StateSize, hT.Slice(s * state, state));
                    if (lstm) packing.UnsortStates(cTs, HiddenSize, cT.Slice(s * cellState, cellState));
                }
            }

            if (layout.Dropout && layer < Layers - 1)
                DropoutMask.Apply(layout.Shape(layer), packing.StepOffsets, packing.Order, dropoutSeed, layer, Dropout, outputWidth, output,
                    layout.DroppedOutput(workspace, layer));
        }

        if (packed) packing.Scatter(stackOutput, outputWidth, y);
    }

    /// <summary>What layer <paramref name="layer"/> reads: x, the output of the layer below, or that output after dropout.</summary>
    private static ReadOnlySpan<float> LayerInput(in StackLayout layout, Span<float> workspace, ReadOnlySpan<float> x, int layer) =>
        layer == 0 ? x : layout.Dropout ? layout.DroppedOutput(workspace, layer - 1) : layout.LayerOutput(workspace, layer - 1);

    /// <summary>
    /// BPTT after a training <c>Forward</c> with the same inputs, outputs and workspace: writes dx, dh0 (and dc0)
    /// and ADDS the weight and bias gradients into <paramref name="gradients"/>. With <see cref="Dropout"/>, the gradients
    /// go through the forward's masks: the training forward keeps its dropout seed in the workspace.
    /// </summary>
    /// <param name="steps">T, as in the forward.</param>
    /// <param name="batch">N, as in the forward.</param>
    /// <param name="x">The forward's input, T x N x I (N x T x I batch-first).</param>
    /// <param name="h0">The forward's initial hidden states.</param>
    /// <param name="parameters">The forward's parameters.</param>
    /// <param name="y">The forward's output, T x N x (D*H) (N x T x (D*H) batch-first).</param>
    /// <param name="dy">The gradient of the loss with respect to y.</param>
    /// <param name="dhT">The gradient with respect to the final hidden states (zeros to cut the gradient there).</param>
    /// <param name="dcT">LSTM: the gradient with respect to the final cell states; ignored otherwise (pass an empty span).</param>
    /// <param name="dx">The gradient of x (x's shape), or an empty span when x is data that needs none (as PyTorch
    /// skips it for inputs that do not require grad): the first layer's input-gradient product is then not computed.</param>
    /// <param name="dh0">Receives the gradient with respect to h0.</param>
    /// <param name="dc0">LSTM: receives the gradient with respect to c0; ignored otherwise (neither read nor written; pass an empty span).</param>
    /// <param name="gradients">The weight and bias gradients are ADDED to these (zero them to start a new batch).</param>
    /// <param name="workspace">The workspace the training forward filled; used up by this call.</param>
    /// <param name="lengths">The forward's lengths (empty when it had none). The padded positions of dy are not read and
    /// those of dx are set to 0; x and y are the packed copies the forward kept in the workspace.</param>
    /// <exception cref="ArgumentException">A span has the wrong length, the parameters or gradients have another shape, the workspace is
    /// too small, or an output (dx, dh0, dc0, the gradients, workspace) shares memory with an input, the parameters or another output.</exception>
    /// <exception cref="ArgumentOutOfRangeException">steps or batch is below 1, or a length is outside [1, T].</exception>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> or <paramref name="gradients"/> is null.</exception>
    public void Backward(int steps, int batch, ReadOnlySpan<float> x, ReadOnlySpan<float> h0, RecurrentParameters parameters,
        ReadOnlySpan<float> y, ReadOnlySpan<float> dy, ReadOnlySpan<float> dhT, ReadOnlySpan<float> dcT,
        Span<float> dx, Span<float> dh0, Span<float> dc0, RecurrentParameters gradients, Span<float> workspace, ReadOnlySpan<int> lengths = default)
    {
        ThrowIfOtherShape(parameters, nameof(parameters));
        RunBackward(steps, batch, x, h0, parameters, null, y, dy, dhT, dcT, dx, dh0, dc0, gradients, workspace, lengths);
    }

    /// <summary>
    /// <see cref="Backward(int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, RecurrentParameters, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float}, RecurrentParameters, Span{float}, ReadOnlySpan{int})"/>
    /// with weights prepared for training by <see cref="Prepare"/> (and the same optional lengths). Bitwise the same results.
    /// </summary>
    /// <exception cref="ArgumentException">As for the other overload, or the weights were prepared for inference only, or by a stack of
    /// another shape or path.</exception>
    /// <exception cref="ArgumentOutOfRangeException">steps or batch is below 1, or a length is outside [1, T].</exception>
    /// <exception cref="ArgumentNullException"><paramref name="weights"/> or <paramref name="gradients"/> is null.</exception>
    public void Backward(int steps, int batch, ReadOnlySpan<float> x, ReadOnlySpan<float> h0, PreparedWeights weights,
        ReadOnlySpan<float> y, ReadOnlySpan<float> dy, ReadOnlySpan<float> dhT, ReadOnlySpan<float> dcT,
        Span<float> dx, Span<float> dh0, Span<float> dc0, RecurrentParameters gradients, Span<float> workspace, ReadOnlySpan<int> lengths = default)
    {
        ThrowIfNotUsable(weights, nameof(weights), forBackward: true);
        RunBackward(steps, batch, x, h0, weights.Parameters, weights, y, dy, dhT, dcT, dx, dh0, dc0, gradients, workspace, lengths);
    }

    private void RunBackward(int steps, int batch, ReadOnlySpan<float> x, ReadOnlySpan<float> h0, RecurrentParameters parameters,
        PreparedWeights? prepared, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, ReadOnlySpan<float> dhT, ReadOnlySpan<float> dcT,
        Span<float> dx, Span<float> dh0, Span<float> dc0, RecurrentParameters gradients, Span<float> workspace, ReadOnlySpan<int> lengths)
    {
        bool packed = ThrowIfInvalidLengths(lengths, steps, batch);
        ThrowIfWorkspaceTooSmall(steps, batch, workspace, training: true, prepared is not null, packed);
        ArgumentNullException.ThrowIfNull(gradients);
        if (!gradients.HasSameShape(parameters))
            ThrowHelper.ThrowArgument(nameof(gradients), "gradients must have the shape of the parameters (same cell, sizes, layers, directions, biases and projection).");
        ExpectLength(x, (long)steps * batch * InputSize, nameof(x));
        if (!dx.IsEmpty) ExpectLength(dx, (long)steps * batch * InputSize, nameof(dx));
        ExpectLength(y, (long)steps * batch * Directions * StateSize, nameof(y));
        ExpectLength(dy, (long)steps * batch * Directions * StateSize, nameof(dy));
        ExpectStates(h0, default, batch, nameof(h0), "");
        ExpectStates(dhT, dcT, batch, nameof(dhT), nameof(dcT));
        ExpectStates(dh0, dc0, batch, nameof(dh0), nameof(dc0));
        bool lstm = _layer.Cell.HasCellState;
        RecurrentArguments.ThrowIfBackwardOverlaps(x, h0, y, dy, dhT, lstm ? dcT : default, parameters.All, dx, dh0, lstm ? dc0 : default,
            gradients.All, workspace);

        int state = batch * StateSize, cellState = batch * HiddenSize, outputWidth = Directions * StateSize;
        var layout = new StackLayout(this, steps, batch, training: true, prepared is not null, packed);
        // Variable lengths: x and y are the packed copies the forward kept; dy is packed here, dx unpacked at the end.
        PackedBatch packing = packed ? new PackedBatch(lengths, steps, layout.Packing(workspace), BatchFirst) : default;
        if (packed) packing.Gather(dy, outputWidth, layout.PackedOutputGradient(workspace));
        ReadOnlySpan<float> stackInput = packed ? layout.PackedInput(workspace) : x;
        ReadOnlySpan<float> stackOutput = packed ? layout.PackedOutput(workspace) : y;
        Span<float> stackInputGradient = packed && !dx.IsEmpty ? layout.PackedInputGradient(workspace) : dx;
        Span<float> previousOutputs = packed ? layout.PreviousOutputs(workspace) : default;
        ReadOnlySpan<float> dOutput = packed ? layout.PackedOutputGradient(workspace) : dy;
        ulong dropoutSeed = layout.Dropout ? MemoryMarshal.Read<ulong>(MemoryMarshal.AsBytes(layout.Seed(workspace))) : 0;
        for (int layer = Layers - 1; layer >= 0; layer--)
        {
            ReadOnlySpan<float> input = LayerInput(layout, workspace, stackInput, layer);
            ReadOnlySpan<float> output = layer == Layers - 1 ? stackOutput : layout.LayerOutput(workspace, layer);
            Span<float> dInput = layer == 0 ? stackInputGradient : layout.InputGradient(workspace, layer);
            for (int direction = 0; direction < Directions; direction++)
            {
                int s = layer * Directions + direction;
                ReadOnlySpan<float> h0s = h0.Slice(s * state, state), dhTs = dhT.Slice(s * state, state);
                ReadOnlySpan<float> dcTs = lstm ? dcT.Slice(s * cellState, cellState) : default;
                Span<float> dh0s = dh0.Slice(s * state, state), dc0s = lstm ? dc0.Slice(s * cellState, cellState) : default;
                if (packed)
                {
                    h0s = packing.SortStates(h0s, StateSize, layout.SortedState(workspace, 0))[..state];
                    dhTs = packing.SortStates(dhTs, StateSize, layout.SortedState(workspace, 1))[..state];
                    dcTs = lstm ? packing.SortStates(dcTs, HiddenSize, layout.SortedState(workspace, 2)) : default;
                    dh0s = layout.SortedState(workspace, 3)[..state];
                    dc0s = lstm ? layout.SortedState(workspace, 4) : default;
                }

                _layer.Backward(layout.Plan(Context, layer, direction), Weights(parameters, prepared, layer, direction, layout, workspace), input,
                    h0s, output[(direction * StateSize)..], outputWidth, dOutput[(direction * StateSize)..], outputWidth, dhTs, dcTs, dInput,
                    accumulateDx: direction == 1, dh0s, dc0s, gradients.Direction(layer, direction), layout.DirectionWorkspace(workspace, layer, direction),
                    packing.StepOffsets, previousOutputs);
                if (packed)
                {
                    packing.UnsortStates(dh0s, StateSize, dh0.Slice(s * state, state));
                    if (lstm) packing.UnsortStates(dc0s, HiddenSize, dc0.Slice(s * cellState, cellState));
                }
            }

            // The gradient of the layer below's output: through the forward's mask (in place).
            if (layout.Dropout && layer > 0)
                DropoutMask.Apply(layout.Shape(layer), packing.StepOffsets, packing.Order, dropoutSeed, layer - 1, Dropout, outputWidth, dInput, dInput);
            dOutput = dInput;
        }

        if (packed && !dx.IsEmpty) packing.Scatter(stackInputGradient, InputSize, dx);
    }

    /// <summary>The prepared weights of one direction, or its tensors with the workspace's pack scratch.</summary>
    private static DirectionWeights Weights(RecurrentParameters parameters, PreparedWeights? prepared, int layer, int direction,
        in StackLayout layout, Span<float> workspace) =>
        prepared is not null
            ? prepared.Direction(layer, direction)
            : new DirectionWeights(parameters.Direction(layer, direction))
            {
                PackScratch = layout.PackScratch(workspace), CandidatePackScratch = layout.CandidatePackScratch(workspace),
                ProjectionPackScratch = layout.ProjectionPackScratch(workspace),
            };

    internal static void ValidateShape(CellKind cell, int inputSize, int hiddenSize, int layers)
    {
        if (!CellKinds.IsDefined(cell))
            ThrowHelper.ThrowOutOfRange(nameof(cell), cell, "The cell must be a defined CellKind.");
        if (inputSize < 1) ThrowHelper.ThrowOutOfRange(nameof(inputSize), inputSize, "The input size must be at least 1.");
        if (hiddenSize < 1) ThrowHelper.ThrowOutOfRange(nameof(hiddenSize), hiddenSize, "The hidden size must be at least 1.");
        if (layers < 1) ThrowHelper.ThrowOutOfRange(nameof(layers), layers, "There must be at least one layer.");
    }

    /// <summary>A projection is for an LSTM only and must be in [0, H); <paramref name="name"/> is the argument that carries it.</summary>
    internal static void ValidateProjection(CellKind cell, int hiddenSize, int projectionSize, string name)
    {
        if (projectionSize == 0) return;
        if (projectionSize < 0 || projectionSize >= hiddenSize)
            ThrowHelper.ThrowOutOfRange(name, projectionSize,
                $"The projection size P={projectionSize} must be 0 (none) or in [1, H-1] for the hidden size H={hiddenSize}.");
        if (cell != CellKind.Lstm)
            ThrowHelper.ThrowArgument(name, $"A projection (P={projectionSize}) is for an LSTM only; a {cell} has none (use 0).");
    }

    private static void ValidateSequence(int steps, int batch)
    {
        if (steps < 1) ThrowHelper.ThrowOutOfRange(nameof(steps), steps, "The sequence must have at least one step.");
        if (batch < 1) ThrowHelper.ThrowOutOfRange(nameof(batch), batch, "The batch must have at least one row.");
    }

    private void ThrowIfOtherShape(RecurrentParameters parameters, string name)
    {
        ArgumentNullException.ThrowIfNull(parameters, name);
        if (parameters.Cell != Cell || parameters.InputSize != InputSize || parameters.HiddenSize != HiddenSize ||
            parameters.Layers != Layers || parameters.Directions != Directions || parameters.Bias != Bias || parameters.ProjectionSize != ProjectionSize)
            ThrowHelper.ThrowArgument(name,
                $"{name} are for {parameters.Cell} I={parameters.InputSize} H={parameters.HiddenSize} layers={parameters.Layers} " +
                $"directions={parameters.Directions} bias={parameters.Bias} projection P={parameters.ProjectionSize}, but the stack is {Cell} " +
                $"I={InputSize} H={HiddenSize} layers={Layers} directions={Directions} bias={Bias} projection P={ProjectionSize}.");
    }

    internal void ThrowIfNotUsable(PreparedWeights weights, string name, bool forBackward)
    {
        ArgumentNullException.ThrowIfNull(weights, name);
        ThrowIfOtherShape(weights.Parameters, name);
        if (weights.Path != Path)
            ThrowHelper.ThrowArgument(name, $"{name} were packed for the {weights.Path} path, but the stack runs {Path}.");
        if (weights.LinearBeforeReset != LinearBeforeReset)
            ThrowHelper.ThrowArgument(name, $"{name} were packed for a stack with {nameof(LinearBeforeReset)} = {weights.LinearBeforeReset}, " +
                $"but this one has {LinearBeforeReset}.");
        if (forBackward && !weights.Training)
            ThrowHelper.ThrowArgument(name, $"{name} were prepared for inference; Backward needs Prepare(parameters, training: true).");
    }

    private void ThrowIfWorkspaceTooSmall(int steps, int batch, ReadOnlySpan<float> workspace, bool training, bool prepared, bool packed)
    {
        long needed = WorkspaceLength(steps, batch, training, prepared, packed);
        if (workspace.Length < needed)
            ThrowHelper.ThrowArgument("workspace",
                $"workspace has {workspace.Length} floats but T={steps}, N={batch} {(training ? "training" : "inference")}" +
                $"{(prepared ? " with prepared weights" : "")}{(packed ? " with variable lengths" : "")} needs {needed} (see WorkspaceLength).");
    }

    /// <summary>Validates the lengths (after steps and batch); returns whether the call runs packed (lengths that are not all T).</summary>
    private static bool ThrowIfInvalidLengths(ReadOnlySpan<int> lengths, int steps, int batch)
    {
        ValidateSequence(steps, batch);
        PackedBatch.Validate(lengths, steps, batch, nameof(lengths));
        return !PackedBatch.IsDense(lengths, steps);
    }

    private static void ExpectLength(ReadOnlySpan<float> span, long expected, string name)
    {
        if (span.Length != expected)
            ThrowHelper.ThrowArgument(name, $"{name} has length {span.Length} but must have {expected}.");
    }

    private void ExpectStates(ReadOnlySpan<float> h, ReadOnlySpan<float> c, int batch, string hName, string cName)
    {
        long states = (long)Layers * Directions * batch;
        ExpectLength(h, states * StateSize, hName);
        if (_layer.Cell.HasCellState && cName.Length > 0) ExpectLength(c, states * HiddenSize, cName);
    }

    private KernelContext Context => KernelContext.Create(MaxDegreeOfParallelism, Path);
}
