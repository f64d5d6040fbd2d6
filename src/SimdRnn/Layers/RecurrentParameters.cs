using SimdRnn.Layers;

namespace SimdRnn;

/// <summary>
/// The weights (or, with the same shapes, the gradients) of a <see cref="RecurrentStack"/>, named and laid out as
/// PyTorch's nn.LSTM / nn.GRU / nn.RNN state_dict: <c>weight_ih_l{k}</c> (G*H x I_k), <c>weight_hh_l{k}</c> (G*H x H),
/// <c>bias_ih_l{k}</c> and <c>bias_hh_l{k}</c> (G*H), with the suffix <c>_reverse</c> for the reverse direction, gates in
/// PyTorch's order (LSTM i, f, g, o; GRU r, z, n). A PyTorch state_dict therefore maps one to one. Without biases
/// (PyTorch's <c>bias=False</c>) there are no bias tensors at all. An LSTM with a projection (PyTorch's <c>proj_size</c>
/// = P) has <c>weight_hr_l{k}</c> (P x H) after each direction's other tensors, W_hh is G*H x P and the layers above the
/// first take D*P inputs.
/// </summary>
/// <remarks>All tensors live in one contiguous buffer (<see cref="All"/>), which is what clipping and optimizers take.</remarks>
public sealed partial class RecurrentParameters
{
    private readonly Dictionary<string, (int Offset, int[] Shape)> _tensors = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];
    private readonly int[] _offsets; // per (layer, direction): weight_ih, weight_hh[, bias_ih, bias_hh][, weight_hr]

    /// <summary>Zero-filled parameters for the given stack shape.</summary>
    /// <param name="cell">The cell kind.</param>
    /// <param name="inputSize">I, the input width of the first layer.</param>
    /// <param name="hiddenSize">H.</param>
    /// <param name="layers">The number of stacked layers.</param>
    /// <param name="bidirectional">Whether every layer also runs a reverse direction.</param>
    /// <param name="bias">Whether the layers have biases; without (PyTorch's <c>bias=False</c>) no bias tensor exists.</param>
    /// <param name="projectionSize">LSTM only: P, the projected hidden size (PyTorch's <c>proj_size</c>, 0 &lt; P &lt; H), or 0 for
    /// none; see <see cref="RecurrentStackOptions.ProjectionSize"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or the layer count is below 1, <paramref name="cell"/> is not a
    /// defined <see cref="CellKind"/>, <paramref name="projectionSize"/> is not in [0, H), or the parameters would not fit one array.</exception>
    /// <exception cref="ArgumentException"><paramref name="projectionSize"/> is set for a cell other than LSTM.</exception>
    public RecurrentParameters(CellKind cell, int inputSize, int hiddenSize, int layers = 1, bool bidirectional = false, bool bias = true,
        int projectionSize = 0)
    {
        RecurrentStack.ValidateShape(cell, inputSize, hiddenSize, layers);
        RecurrentStack.ValidateProjection(cell, hiddenSize, projectionSize, nameof(projectionSize));
        ThrowIfTooLarge(cell, inputSize, hiddenSize, layers, bidirectional ? 2 : 1, projectionSize);
        Cell = cell;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        Layers = layers;
        Directions = bidirectional ? 2 : 1;
        Bias = bias;
        ProjectionSize = projectionSize;
        long offset = 0;
        _offsets = new int[layers * Directions * TensorsPerDirection];
        foreach ((string name, long[] size) in RecurrentLayout.Tensors(cell.GateCount(), inputSize, hiddenSize, layers, Directions, bias, projectionSize))
        {
            int[] shape = Array.ConvertAll(size, d => (int)d); // fits: ThrowIfTooLarge above
            _offsets[_names.Count] = checked((int)offset);
            _tensors[name] = (checked((int)offset), shape);
            _names.Add(name);
            offset += size.Aggregate(1L, (a, b) => a * b);
        }

        All = new float[checked((int)offset)];
    }

    /// <summary>The cell kind.</summary>
    public CellKind Cell { get; }

    /// <summary>I, the input width of the first layer.</summary>
    public int InputSize { get; }

    /// <summary>H.</summary>
    public int HiddenSize { get; }

    /// <summary>The number of stacked layers.</summary>
    public int Layers { get; }

    /// <summary>1, or 2 when bidirectional.</summary>
    public int Directions { get; }

    /// <summary>Whether the layers have biases (the <c>bias_ih</c> / <c>bias_hh</c> tensors); false as PyTorch's <c>bias=False</c>.</summary>
    public bool Bias { get; }

    /// <summary>P, the projected hidden size of an LSTM (the <c>weight_hr</c> tensors; PyTorch's <c>proj_size</c>), or 0 for none.</summary>
    public int ProjectionSize { get; }

    /// <summary>The width of the hidden state and of a direction's output: P with a projection, else H.</summary>
    internal int StateSize => ProjectionSize > 0 ? ProjectionSize : HiddenSize;

    private int TensorsPerDirection => (Bias ? 4 : 2) + (ProjectionSize > 0 ? 1 : 0);

    /// <summary>Every tensor, one after the other in <see cref="Names"/> order.</summary>
    public float[] All { get; }

    /// <summary>The tensor names in PyTorch's state_dict order.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>The values of tensor <paramref name="name"/>, row-major.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public Memory<float> this[string name]
    {
        get
        {
            (int offset, int[] shape) = Find(name);
            return All.AsMemory(offset, shape.Aggregate(1, (a, b) => a * b));
        }
    }

    /// <summary>The shape of tensor <paramref name="name"/> (a copy).</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public int[] Shape(string name) => (int[])Find(name).Shape.Clone();

    /// <summary>True when the other parameters have the same cell, sizes (the projection's too) and layout (and both or neither have biases).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    public bool HasSameShape(RecurrentParameters other) =>
        (other ?? throw new ArgumentNullException(nameof(other))).Cell == Cell && other.InputSize == InputSize && other.HiddenSize == HiddenSize &&
        other.Layers == Layers && other.Directions == Directions && other.Bias == Bias && other.ProjectionSize == ProjectionSize;

    /// <summary>Refuses shapes whose tensors (in double, so the check itself cannot overflow) would not fit one array.</summary>
    private static void ThrowIfTooLarge(CellKind cell, int inputSize, int hiddenSize, int layers, int directions, int projectionSize)
    {
        double gateRows = (double)directions * cell.GateCount() * hiddenSize, state = projectionSize > 0 ? projectionSize : hiddenSize;
        double projection = (double)directions * projectionSize * hiddenSize;
        double first = gateRows * ((double)inputSize + state + 2) + projection, inner = gateRows * (directions * state + state + 2) + projection;
        double total = first + (layers - 1.0) * inner;
        if (total <= Array.MaxLength) return;
        string name = first > Array.MaxLength ? (inputSize > hiddenSize ? nameof(inputSize) : nameof(hiddenSize)) : nameof(layers);
        ThrowHelper.ThrowOutOfRange(name, name == nameof(layers) ? layers : name == nameof(inputSize) ? inputSize : hiddenSize,
            $"{layers} layer(s) of I={inputSize}, H={hiddenSize} need {total:0} floats, more than one array holds.");
    }

    /// <summary>I for layer 0, D*H (D*P with a projection) above it.</summary>
    internal int LayerInputSize(int layer) => layer == 0 ? InputSize : Directions * StateSize;

    /// <summary>The tensors of one direction of one layer, without a name lookup (the layers' hot path); the biases are empty
    /// without biases, the projection without one.</summary>
    internal DirectionTensors Direction(int layer, int direction)
    {
        int index = (layer * Directions + direction) * TensorsPerDirection;
        int gateWidth = Cell.GateCount() * HiddenSize;
        int layerInput = LayerInputSize(layer);
        return new DirectionTensors(All.AsSpan(_offsets[index], gateWidth * layerInput), All.AsSpan(_offsets[index + 1], gateWidth * StateSize),
            Bias ? All.AsSpan(_offsets[index + 2], gateWidth) : default, Bias ? All.AsSpan(_offsets[index + 3], gateWidth) : default)
        {
            ProjectionWeights = ProjectionSize > 0 ? All.AsSpan(_offsets[index + (Bias ? 4 : 2)], ProjectionSize * HiddenSize) : default,
        };
    }

    private (int Offset, int[] Shape) Find(string name) =>
        _tensors.TryGetValue(name ?? throw new ArgumentNullException(nameof(name)), out var entry) ? entry : throw new KeyNotFoundException($"No parameter is named '{name}'; the names are {string.Join(", ", _names)}.");
}
