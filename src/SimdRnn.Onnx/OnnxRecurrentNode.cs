namespace SimdRnn.Onnx;

/// <summary>
/// One LSTM, GRU or RNN node of an ONNX model as a SimdRnn layer: <see cref="Stack"/> (one layer, forward or
/// bidirectional) and its <see cref="Parameters"/> in PyTorch's layout (ONNX's LSTM gates i, o, f, c reordered to
/// i, f, g, o; GRU z, r, h to r, z, n; B split into bias_ih and bias_hh).
/// </summary>
/// <remarks>
/// Shapes follow <see cref="RecurrentStack"/>: x is T x N x I; y is T x N x D*H (ONNX's Y is T x D x N x H: the same
/// for one direction, transposed for two); the states h0, hT (and c0, cT) are D x N x H as ONNX's initial_h and Y_h.
/// </remarks>
public sealed class OnnxRecurrentNode
{
    internal OnnxRecurrentNode(string name, string operatorType, string direction, int layout, RecurrentStack stack,
        RecurrentParameters parameters, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs,
        float[]? initialHiddenState, float[]? initialCellState, int initialStateBatch)
    {
        Name = name;
        OperatorType = operatorType;
        Direction = direction;
        Layout = layout;
        Stack = stack;
        Parameters = parameters;
        Inputs = inputs;
        Outputs = outputs;
        InitialHiddenState = initialHiddenState;
        InitialCellState = initialCellState;
        InitialStateBatch = initialStateBatch;
    }

    /// <summary>The node's name in the graph (or "#k OP" for the k-th node when it has none).</summary>
    public string Name { get; }

    /// <summary>"LSTM", "GRU" or "RNN".</summary>
    public string OperatorType { get; }

    /// <summary>The node's direction attribute: "forward" or "bidirectional".</summary>
    public string Direction { get; }

    /// <summary>The node's layout attribute: 0, time-major (the only one imported today).</summary>
    public int Layout { get; }

    /// <summary>The layer: cell, I (from W), H, one layer, and two directions when bidirectional.</summary>
    public RecurrentStack Stack { get; }

    /// <summary>The weights, in PyTorch's names and gate order (<c>weight_ih_l0</c>, ..., <c>bias_hh_l0_reverse</c>);
    /// biases are zero when the node has no B.</summary>
    public RecurrentParameters Parameters { get; }

    /// <summary>The node's input names in ONNX's order (X, W, R, B, sequence_lens, initial_h, initial_c, P); an empty
    /// name is an input left out.</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <summary>The node's output names (Y, Y_h and for LSTM Y_c); an empty name is an output left out.</summary>
    public IReadOnlyList<string> Outputs { get; }

    /// <summary>initial_h (D x N x H) when the model holds it as a constant; null when it is a graph input (or absent,
    /// meaning zeros).</summary>
    public float[]? InitialHiddenState { get; }

    /// <summary>initial_c (D x N x H) of an LSTM when the model holds it as a constant; null otherwise.</summary>
    public float[]? InitialCellState { get; }

    /// <summary>N of the constant initial states, or 0 when the node has none.</summary>
    public int InitialStateBatch { get; }
}
