using SimdRnn.Execution;

namespace SimdRnn.Layers;

/// <summary>
/// The workspace of a whole stack for T steps of N rows: [inner layers' outputs][input-gradient ping-pong][direction
/// workspaces][pack scratch]. Training keeps every inner layer's output and a workspace per (layer, direction), since
/// backward needs them all; inference keeps two layer outputs (each layer reads the one before) and one direction
/// workspace that every layer and direction reuses in turn, and no gradient buffers. The pack scratch (W_hh packed per
/// call) is shared by all directions, which run one after another, and absent with prepared weights; the directions'
/// layouts do not depend on it, so a forward and a backward may differ in whether their weights were prepared.
/// </summary>
internal readonly struct StackLayout
{
    private readonly CellTraits _cell;
    private readonly int _input, _hidden, _layers, _directions, _steps, _batch;
    private readonly bool _training, _preparedWeights, _batchFirst;
    private readonly StepSplitRule _split;

    public StackLayout(RecurrentStack stack, int steps, int batch, bool training, bool preparedWeights)
    {
        _cell = stack.Cell.Traits();
        (_input, _hidden, _layers, _directions) = (stack.InputSize, stack.HiddenSize, stack.Layers, stack.Directions);
        (_steps, _batch, _training, _preparedWeights) = (steps, batch, training, preparedWeights);
        _split = stack.StepSplit;
        _batchFirst = stack.BatchFirst;
    }

    /// <summary>One layer's output, T x N x D*H (also the size of a layer's input gradient above layer 0).</summary>
    private int OutputLength => _steps * _batch * _directions * _hidden;

    private int LayerOutputCount => _training ? _layers - 1 : Math.Min(_layers - 1, 2);

    private int InputGradientCount => _training ? Math.Min(_layers - 1, 2) : 0;

    private long DirectionsOffset => (long)(LayerOutputCount + InputGradientCount) * OutputLength;

    private long PackScratchOffset
    {
        get
        {
            long directions = 0;
            for (int layer = 0; layer < _layers; layer++)
                directions = _training ? directions + _directions * DirectionLength(layer) : Math.Max(directions, DirectionLength(layer));
            return DirectionsOffset + directions;
        }
    }

    // Every layer packs the same W_hh shape (H x G*H), whatever its input size.
    private long PackScratchLength => _preparedWeights ? 0 : Shape(0).PackedRecurrentLength;

    public long Length => PackScratchOffset + PackScratchLength;

    /// <summary>Where W_hh is packed per call (empty with prepared weights).</summary>
    public Span<float> PackScratch(Span<float> workspace) => workspace.Slice((int)PackScratchOffset, (int)PackScratchLength);

    public DirectionPlan Plan(in KernelContext context, int layer, int direction) =>
        new(context, Shape(layer), Reverse: direction == 1) { Split = _split };

    /// <summary>The output of inner layer <paramref name="layer"/> (the input of the layer above it).</summary>
    public Span<float> LayerOutput(Span<float> workspace, int layer) =>
        workspace.Slice((_training ? layer : layer % 2) * OutputLength, OutputLength);

    /// <summary>The gradient of layer <paramref name="layer"/>'s input (layer &gt;= 1; layer 0's is the caller's dx).</summary>
    public Span<float> InputGradient(Span<float> workspace, int layer) =>
        workspace.Slice((LayerOutputCount + (layer - 1) % 2) * OutputLength, OutputLength);

    public Span<float> DirectionWorkspace(Span<float> workspace, int layer, int direction)
    {
        long length = DirectionLength(layer);
        if (!_training) return workspace.Slice((int)DirectionsOffset, (int)length);
        long offset = DirectionsOffset;
        for (int l = 0; l < layer; l++) offset += _directions * DirectionLength(l);
        return workspace.Slice((int)(offset + direction * length), (int)length);
    }

    private DirectionShape Shape(int layer) =>
        new(_cell, _steps, _batch, layer == 0 ? _input : _directions * _hidden, _hidden, _training, _batchFirst);

    private long DirectionLength(int layer) => Shape(layer).WorkspaceLength;
}
