using SimdRnn.Onnx.Protobuf;

namespace SimdRnn.Onnx.Import;

/// <summary>
/// What SimdRnn's core can run of an ONNX recurrent node, one method per feature it cannot run (yet): each refusal is
/// a <see cref="NotSupportedException"/> naming the node and the attribute or input. When the core gains a feature,
/// its method here is the one place to change (and the import then maps it instead of refusing it).
/// </summary>
internal static class CoreSupport
{
    /// <summary>layout: 0 (time-major) or 1 (batch-major, the core's <see cref="RecurrentStackOptions.BatchFirst"/>).</summary>
    public static bool BatchFirst(NodeAttributes node, long layout) => layout switch
    {
        0 => false,
        1 => true,
        _ => throw new InvalidDataException($"ONNX {node}: attribute 'layout' = {layout}; ONNX defines 0 and 1."),
    };

    /// <summary>sequence_lens (input 4): runtime data the caller passes as Forward's lengths; a constant one is refused
    /// (the import would have to hand its values over too), the name of a runtime one is returned (null when absent).</summary>
    public static string? SequenceLengthsInput(NodeAttributes node, ModelFile file)
    {
        string input = node.Input(4);
        if (input.Length == 0)
            return null;
        if (file.FindConstant(input) is not null)
            throw Refuse(node, $"input 'sequence_lens' ('{input}') as a constant", "SimdRnn takes the lengths at run time (Forward's lengths); feed sequence_lens as a graph input");
        return input;
    }

    /// <summary>GRU linear_before_reset: 1 (PyTorch's GRU) or 0 (ONNX's default, also when absent: the reset gate
    /// applies before the recurrent product), the core's <see cref="RecurrentStackOptions.LinearBeforeReset"/>.</summary>
    public static bool GruLinearBeforeReset(NodeAttributes node, long linearBeforeReset) => linearBeforeReset switch
    {
        0 => false,
        1 => true,
        _ => throw new InvalidDataException($"ONNX {node}: attribute 'linear_before_reset' = {linearBeforeReset}; ONNX defines 0 and 1."),
    };

    /// <summary>direction = reverse alone: the core's stacks run forward, or both ways.</summary>
    public static int Directions(NodeAttributes node, string direction) => direction switch
    {
        "forward" => 1,
        "bidirectional" => 2,
        "reverse" => throw Refuse(node, "attribute 'direction' = reverse", "SimdRnn runs forward or bidirectional layers (reverse the sequence in time and run forward)"),
        _ => throw new InvalidDataException($"ONNX {node}: attribute 'direction' = '{direction}'; ONNX defines forward, reverse and bidirectional."),
    };

    /// <summary>The cell kind the activations make; anything but ONNX's defaults (and Relu for RNN) is refused.</summary>
    public static CellKind Cell(NodeAttributes node, int directions)
    {
        string[]? activations = node.Strings("activations");
        string[] perDirection = node.OpType switch
        {
            "LSTM" => ["Sigmoid", "Tanh", "Tanh"],
            "GRU" => ["Sigmoid", "Tanh"],
            _ => ["Tanh"],
        };
        if (activations is null)
            return Kind(node.OpType, relu: false);
        if (activations.Length != perDirection.Length * directions)
            throw new InvalidDataException($"ONNX {node}: attribute 'activations' lists {activations.Length} functions; {node.OpType} with {directions} direction(s) needs {perDirection.Length * directions}.");
        // RNN: Relu instead of Tanh is nn.RNN(nonlinearity='relu'), the core's RnnRelu, when both directions agree.
        bool relu = node.OpType == "RNN" && activations.All(a => a.Equals("Relu", StringComparison.OrdinalIgnoreCase));
        for (int k = 0; k < activations.Length && !relu; k++)
        {
            if (!activations[k].Equals(perDirection[k % perDirection.Length], StringComparison.OrdinalIgnoreCase))
                throw Refuse(node, $"attribute 'activations' = [{string.Join(", ", activations)}]",
                    $"SimdRnn runs {node.OpType} with the activations [{string.Join(", ", perDirection)}] per direction{(node.OpType == "RNN" ? " or [Relu]" : "")}");
        }

        return Kind(node.OpType, relu);
    }

    /// <summary>activation_alpha / activation_beta: parameters of activations the core does not have.</summary>
    public static void RequireNoActivationParameters(NodeAttributes node)
    {
        foreach (string name in (string[])["activation_alpha", "activation_beta"])
        {
            if (node.Has(name))
                throw Refuse(node, $"attribute '{name}'", "SimdRnn's activations (sigmoid, tanh, relu) take no parameters");
        }
    }

    /// <summary>clip: the core does not clip the gates' inputs.</summary>
    public static void RequireNoClip(NodeAttributes node)
    {
        if (node.Has("clip"))
            throw Refuse(node, "attribute 'clip'", "SimdRnn does not clip the gates' inputs");
    }

    /// <summary>input_forget = 1 (LSTM coupled input and forget gates).</summary>
    public static void RequireNoInputForget(NodeAttributes node, long inputForget)
    {
        if (inputForget != 0)
            throw Refuse(node, $"attribute 'input_forget' = {inputForget}", "SimdRnn's LSTM has separate input and forget gates");
    }

    /// <summary>P (LSTM peepholes, input 7): accepted only as a constant that is all zeros.</summary>
    public static void RequireNoPeepholes(NodeAttributes node, ModelFile file, int directions, int hiddenSize)
    {
        string name = node.Input(7);
        if (name.Length == 0)
            return;
        TensorProto? constant = file.FindConstant(name);
        if (constant is null)
            throw Refuse(node, $"input 'P' ('{name}', peepholes computed in the graph)", "SimdRnn's LSTM has no peepholes");
        TensorValues p = TensorValues.Read(constant, $"{node}: input P '{name}'");
        RecurrentNodeImport.CheckDims(node, "P", name, p.Dims, directions, 3L * hiddenSize);
        if (p.Values.Any(v => v != 0))
            throw Refuse(node, $"input 'P' ('{name}', non-zero peepholes)", "SimdRnn's LSTM has no peepholes");
    }

    private static CellKind Kind(string opType, bool relu) => opType switch
    {
        "LSTM" => CellKind.Lstm,
        "GRU" => CellKind.Gru,
        _ => relu ? CellKind.RnnRelu : CellKind.RnnTanh,
    };

    private static NotSupportedException Refuse(NodeAttributes node, string what, string why) =>
        new($"ONNX {node}: {what} is not supported: {why}.");
}
