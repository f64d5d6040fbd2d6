namespace SimdRnn.Onnx;

/// <summary>
/// One LSTM, GRU or RNN node of an ONNX model as a SimdRnn layer: <see cref="Stack"/> (one layer, forward or
/// bidirectional) and its <see cref="Parameters"/> in PyTorch's layout (ONNX's LSTM gates i, o, f, c reordered to
/// i, f, g, o; GRU z, r, h to r, z, n; B split into bias_ih and bias_hh).
/// </summary>
/// <remarks>
/// <para>Shapes follow <see cref="RecurrentStack"/>: x is T x N x I; y is T x N x D*H (ONNX's Y is T x D x N x H: the
/// same for one direction, transposed for two); the states h0, hT (and c0, cT) are D x N x H as ONNX's initial_h and Y_h.</para>
/// <para>With <see cref="Layout"/> = 1 the stack is batch-first (<see cref="RecurrentStackOptions.BatchFirst"/>): x is
/// N x T x I as ONNX's X, and y is N x T x D*H, exactly ONNX's Y ([N, T, D, H]). The states stay D x N x H in SimdRnn
/// while ONNX's initial_h / initial_c and Y_h / Y_c are then [N, D, H]: the caller transposes the first two dimensions
/// of states it feeds or reads (the constant <see cref="InitialHiddenState"/> and <see cref="InitialCellState"/> are
/// already transposed to D x N x H at import).</para>
/// <para>When the node has sequence_lens (<see cref="SequenceLengthsInput"/>), the caller passes those lengths as
/// <c>lengths</c> to <see cref="RecurrentStack.Forward(int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, RecurrentParameters, Span{float}, Span{float}, Span{float}, Span{float}, bool, ReadOnlySpan{int}, ulong)"/>;
/// the results are ONNX's: y is 0 past each row's length, hT / cT are each row's state at its last valid step, and the
/// reverse direction starts at that step. SimdRnn takes lengths in [1, T] (ONNX also allows 0).</para>
/// </remarks>
public sealed class OnnxRecurrentNode
{
    internal OnnxRecurrentNode(string name, string operatorType, string direction, int layout, RecurrentStack stack,
        RecurrentParameters parameters, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs,
        float[]? initialHiddenState, float[]? initialCellState, int initialStateBatch, string? sequenceLengthsInput)
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
        SequenceLengthsInput = sequenceLengthsInput;
    }

    /// <summary>The node's name in the graph (or "#k OP" for the k-th node when it has none).</summary>
    public string Name { get; }

    /// <summary>"LSTM", "GRU" or "RNN".</summary>
    public string OperatorType { get; }

    /// <summary>The node's direction attribute: "forward" or "bidirectional".</summary>
    public string Direction { get; }

    /// <summary>The node's layout attribute: 0, time-major, or 1, batch-major (then <see cref="Stack"/> is batch-first;
    /// see the remarks for the states).</summary>
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

    /// <summary>initial_h (D x N x H, transposed from ONNX's N x D x H when <see cref="Layout"/> = 1) when the model holds it as a constant; null when it is a graph input (or absent,
    /// meaning zeros).</summary>
    public float[]? InitialHiddenState { get; }

    /// <summary>initial_c (D x N x H, as <see cref="InitialHiddenState"/>) of an LSTM when the model holds it as a constant; null otherwise.</summary>
    public float[]? InitialCellState { get; }

    /// <summary>N of the constant initial states, or 0 when the node has none.</summary>
    public int InitialStateBatch { get; }

    /// <summary>The graph input (or computed value) the node reads as sequence_lens, or null when it has none: its values
    /// (int32, one per batch row) are the <c>lengths</c> the caller passes to the stack's Forward (see the remarks).</summary>
    public string? SequenceLengthsInput { get; }
}
