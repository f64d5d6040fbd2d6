using System.Runtime.InteropServices;
using SimdRnn.Execution;

namespace SimdRnn.Layers;

/// <summary>
/// The workspace of a whole stack for T steps of N rows: [inner layers' outputs][input-gradient ping-pong][dropped
/// outputs][dropout seed][direction workspaces][pack scratch]. Training keeps every inner layer's output and a workspace
/// per (layer, direction), since backward needs them all, and with dropout each inner layer's output after the mask (the
/// next layer's input; backward needs both) and the forward's seed (2 floats of raw bits); inference keeps two layer
/// outputs (each layer reads the one before) and one direction workspace that every layer and direction reuses in turn,
/// and no gradient buffers. The pack scratch (W_hh packed per call) is shared by all directions, which run one after
/// another, and absent with prepared weights; the directions' layouts do not depend on it, so a forward and a backward
/// may differ in whether their weights were prepared.
/// Variable lengths add, after all of it (the dense layout is unchanged), the packed tensors of the stack's edges (the
/// layers between run packed in the buffers above): x and the top layer's y (kept for backward), for training dy, dx
/// and the previous outputs that dW_hh multiplies; the states of a direction in sorted order; the packing itself.
/// </summary>
internal readonly struct StackLayout
{
    private readonly CellTraits _cell;
    private readonly int _input, _hidden, _projection, _layers, _directions, _steps, _batch;
    private readonly bool _training, _preparedWeights, _packed, _batchFirst, _dropout;
    private readonly StepSplitRule _split;

    public StackLayout(RecurrentStack stack, int steps, int batch, bool training, bool preparedWeights, bool packed)
    {
        _cell = stack.CellTraits;
        (_input, _hidden, _layers, _directions) = (stack.InputSize, stack.HiddenSize, stack.Layers, stack.Directions);
        _projection = stack.ProjectionSize;
        (_steps, _batch, _training, _preparedWeights, _packed) = (steps, batch, training, preparedWeights, packed);
        _split = stack.StepSplit;
        _batchFirst = stack.BatchFirst;
        _dropout = training && stack.Dropout > 0 && stack.Layers > 1;
    }

    /// <summary>One layer's output, T x N x D*H (also the size of a layer's input gradient above layer 0).</summary>
    private int OutputLength => _steps * _batch * _directions * StateWidth;

    /// <summary>S: the width of a direction's output (H, or an LSTM's projection P).</summary>
    private int StateWidth => _projection > 0 ? _projection : _hidden;

    private int LayerOutputCount => _training ? _layers - 1 : Math.Min(_layers - 1, 2);

    private int InputGradientCount => _training ? Math.Min(_layers - 1, 2) : 0;

    /// <summary>Whether a training forward masks the inner layers' outputs (and keeps the masked copies and the seed).</summary>
    public bool Dropout => _dropout;

    private long DroppedOffset => (long)(LayerOutputCount + InputGradientCount) * OutputLength;

    private long SeedOffset => DroppedOffset + (_dropout ? (long)(_layers - 1) * OutputLength : 0);

    private const int SeedLength = 2;

    private long DirectionsOffset => SeedOffset + (_dropout ? SeedLength : 0);

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

    // Every layer packs the same W_hh shape (H x G*H), whatever its input size: the merged rows, then the last gate's
    // when a cell takes its product of r * h (both are in use during the steps).
    private long PackScratchLength =>
        _preparedWeights ? 0 : Shape(0).PackedRecurrentLength + Shape(0).PackedCandidateLength + Shape(0).PackedProjectionLength;

    // The packed region: [x][y] and for training [dy][dx][previous outputs]; then [sorted states][packing ints].
    private long PackedOffset => PackScratchOffset + PackScratchLength;
    private int InputLength => _steps * _batch * _input;
    private long PackedTensorsLength => !_packed ? 0 : _training ? 2L * InputLength + 2L * OutputLength + (long)_steps * _batch * StateWidth
        : (long)InputLength + OutputLength;

    /// <summary>A direction's states in sorted order: forward h0, c0, hT, cT; backward h0, dhT, dcT, dh0, dc0.</summary>
    private const int SortedStateCount = 5;

    private long SortedStatesOffset => PackedOffset + PackedTensorsLength;
    private long PackingOffset => SortedStatesOffset + (_packed ? (long)SortedStateCount * _batch * _hidden : 0);
    private long PackingLength => _packed ? PackedBatch.ScratchLength(_steps, _batch) : 0;

    public long Length => PackingOffset + PackingLength;

    /// <summary>Packed x (the first layer's input).</summary>
    public Span<float> PackedInput(Span<float> workspace) => workspace.Slice((int)PackedOffset, InputLength);

    /// <summary>Packed y (the top layer's output): training keeps it for backward.</summary>
    public Span<float> PackedOutput(Span<float> workspace) => workspace.Slice((int)(PackedOffset + InputLength), OutputLength);

    /// <summary>Packed dy (training).</summary>
    public Span<float> PackedOutputGradient(Span<float> workspace) =>
        workspace.Slice((int)(PackedOffset + InputLength + OutputLength), OutputLength);

    /// <summary>Packed dx (training).</summary>
    public Span<float> PackedInputGradient(Span<float> workspace) =>
        workspace.Slice((int)(PackedOffset + InputLength + 2L * OutputLength), InputLength);

    /// <summary>Backward's gather of each packed row's previous output (training; any layer's direction, one at a time).</summary>
    public Span<float> PreviousOutputs(Span<float> workspace) =>
        workspace.Slice((int)(PackedOffset + 2L * InputLength + 2L * OutputLength), _steps * _batch * StateWidth);

    /// <summary>Sorted state <paramref name="index"/> of the direction running (N x H).</summary>
    public Span<float> SortedState(Span<float> workspace, int index) =>
        workspace.Slice((int)(SortedStatesOffset + (long)index * _batch * _hidden), _batch * _hidden);

    /// <summary>Room for <see cref="PackedBatch"/>'s order and offsets (ints).</summary>
    public Span<int> Packing(Span<float> workspace) =>
        MemoryMarshal.Cast<float, int>(workspace.Slice((int)PackingOffset, (int)PackingLength));

    /// <summary>Where W_hh (its merged rows) is packed per call (empty with prepared weights).</summary>
    public Span<float> PackScratch(Span<float> workspace) =>
        workspace.Slice((int)PackScratchOffset, (int)(_preparedWeights ? 0 : Shape(0).PackedRecurrentLength));

    /// <summary>Where the last gate's rows of W_hh are packed per call, for cells that reset before the product (else empty).</summary>
    public Span<float> CandidatePackScratch(Span<float> workspace) =>
        _preparedWeights ? default : workspace.Slice((int)(PackScratchOffset + Shape(0).PackedRecurrentLength), (int)Shape(0).PackedCandidateLength);

    /// <summary>Where W_hr is packed per call, for an LSTM with a projection (else empty).</summary>
    public Span<float> ProjectionPackScratch(Span<float> workspace) =>
        _preparedWeights ? default
            : workspace.Slice((int)(PackScratchOffset + Shape(0).PackedRecurrentLength + Shape(0).PackedCandidateLength), (int)Shape(0).PackedProjectionLength);

    public DirectionPlan Plan(in KernelContext context, int layer, int direction) =>
        new(context, Shape(layer), Reverse: direction == 1) { Split = _split };

    /// <summary>The output of inner layer <paramref name="layer"/> (the input of the layer above it).</summary>
    public Span<float> LayerOutput(Span<float> workspace, int layer) =>
        workspace.Slice((_training ? layer : layer % 2) * OutputLength, OutputLength);

    /// <summary>Inner layer <paramref name="layer"/>'s output after the dropout mask: the input of the layer above it.</summary>
    public Span<float> DroppedOutput(Span<float> workspace, int layer) =>
        workspace.Slice((int)(DroppedOffset + (long)layer * OutputLength), OutputLength);

    /// <summary>Where a training forward keeps its dropout seed for backward (the bits of a ulong in two floats).</summary>
    public Span<float> Seed(Span<float> workspace) => workspace.Slice((int)SeedOffset, SeedLength);

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

    public DirectionShape Shape(int layer) =>
        new(_cell, _steps, _batch, layer == 0 ? _input : _directions * StateWidth, _hidden, _training,
            // A packed sequence is time-major whatever the caller's layout: the stack packs and unpacks batch-first tensors.
            _batchFirst && !_packed, _projection);

    private long DirectionLength(int layer) => Shape(layer).WorkspaceLength;
}
