using SimdRnn.Onnx.Protobuf;

namespace SimdRnn.Onnx.Import;

/// <summary>ONNX LSTM / GRU / RNN nodes into <see cref="OnnxRecurrentNode"/>s: attributes, weight shapes, gate order.</summary>
internal static class RecurrentNodeImport
{
    private static readonly string[] CommonAttributes = ["activation_alpha", "activation_beta", "activations", "clip", "direction", "hidden_size", "layout"];

    /// <summary>Per operator: its gate count, the ONNX gate block of each PyTorch gate, its attributes beyond the common ones.</summary>
    private static readonly Dictionary<string, (int Gates, int[] OnnxGateOf, string[] Attributes)> Operators = new(StringComparer.Ordinal)
    {
        // ONNX LSTM gates i, o, f, c; PyTorch i, f, g (= c), o.
        ["LSTM"] = (4, [0, 2, 3, 1], ["input_forget"]),
        // ONNX GRU gates z, r, h; PyTorch r, z, n (= h).
        ["GRU"] = (3, [1, 0, 2], ["linear_before_reset"]),
        ["RNN"] = (1, [0], []),
    };

    public static IReadOnlyList<OnnxRecurrentNode> ImportAll(ModelFile file)
    {
        var nodes = new List<OnnxRecurrentNode>();
        for (int index = 0; index < file.Graph.Node.Count; index++)
        {
            NodeProto node = file.Graph.Node[index];
            if (node.Domain is "" or "ai.onnx" && Operators.ContainsKey(node.OpType))
                nodes.Add(Import(file, new NodeAttributes(node, index)));
        }

        if (nodes.Count == 0)
        {
            string operators = string.Join(", ", file.Graph.Node.Select(n => n.OpType).Distinct().Take(12));
            throw new InvalidDataException($"ONNX model: no LSTM, GRU or RNN node in its graph (operators: {(operators.Length > 0 ? operators : "none")}).");
        }

        return nodes;
    }

    private static OnnxRecurrentNode Import(ModelFile file, NodeAttributes node)
    {
        (int gates, int[] onnxGateOf, string[] ownAttributes) = Operators[node.OpType];
        foreach (string name in node.Names)
        {
            if (!CommonAttributes.Contains(name) && !ownAttributes.Contains(name))
                throw new NotSupportedException($"ONNX {node}: attribute '{name}' is not one ONNX defines for {node.OpType}; SimdRnn.Onnx does not know what it would change.");
        }

        string direction = node.String("direction", "forward");
        int directions = CoreSupport.Directions(node, direction);
        long layout = node.Int("layout", 0);
        bool batchFirst = CoreSupport.BatchFirst(node, layout);
        CoreSupport.RequireNoClip(node);
        CoreSupport.RequireNoActivationParameters(node);
        CellKind cell = CoreSupport.Cell(node, directions);
        if (node.OpType == "LSTM")
            CoreSupport.RequireNoInputForget(node, node.Int("input_forget", 0));
        bool linearBeforeReset = node.OpType != "GRU" || CoreSupport.GruLinearBeforeReset(node, node.Int("linear_before_reset", 0));
        if (node.Input(0).Length == 0)
            throw new InvalidDataException($"ONNX {node}: no input X.");
        string? sequenceLengths = CoreSupport.SequenceLengthsInput(node, file);

        TensorValues w = Constant(file, node, 1, "W", required: true)!;
        TensorValues r = Constant(file, node, 2, "R", required: true)!;
        TensorValues? b = Constant(file, node, 3, "B", required: false);
        if (w.Dims.Length != 3 || r.Dims.Length != 3)
            throw new InvalidDataException($"ONNX {node}: W has dims [{string.Join(", ", w.Dims)}] and R [{string.Join(", ", r.Dims)}]; both must be [num_directions, {gates} * hidden_size, ...].");
        long hiddenSize = node.Has("hidden_size") ? node.Int("hidden_size", 0) : r.Dims[2];
        if (hiddenSize < 1 || hiddenSize > int.MaxValue)
            throw new InvalidDataException($"ONNX {node}: hidden_size {hiddenSize}.");
        int h = (int)hiddenSize;
        long inputSize = w.Dims[2];
        if (inputSize < 1 || inputSize > int.MaxValue)
            throw new InvalidDataException($"ONNX {node}: W has dims [{string.Join(", ", w.Dims)}]: the input size (its last dimension) must be at least 1.");
        CheckDims(node, "W", node.Input(1), w.Dims, directions, (long)gates * h, inputSize);
        CheckDims(node, "R", node.Input(2), r.Dims, directions, (long)gates * h, h);
        if (b is not null)
            CheckDims(node, "B", node.Input(3), b.Dims, directions, 2L * gates * h);
        if (node.OpType == "LSTM")
            CoreSupport.RequireNoPeepholes(node, file, directions, h);

        var stack = new RecurrentStack(cell, (int)inputSize, h, layers: 1, bidirectional: directions == 2,
            new RecurrentStackOptions { BatchFirst = batchFirst, LinearBeforeReset = linearBeforeReset });
        RecurrentParameters parameters = stack.CreateParameters();
        int i = (int)inputSize, g = gates * h;
        for (int d = 0; d < directions; d++)
        {
            string suffix = d == 0 ? "_l0" : "_l0_reverse";
            Span<float> weightIh = parameters["weight_ih" + suffix].Span, weightHh = parameters["weight_hh" + suffix].Span;
            Span<float> biasIh = parameters["bias_ih" + suffix].Span, biasHh = parameters["bias_hh" + suffix].Span;
            for (int gate = 0; gate < gates; gate++)
            {
                int from = onnxGateOf[gate] * h; // first row of the gate's block in ONNX's order
                w.Values.AsSpan((d * g + from) * i, h * i).CopyTo(weightIh.Slice(gate * h * i, h * i));
                r.Values.AsSpan((d * g + from) * h, h * h).CopyTo(weightHh.Slice(gate * h * h, h * h));
                if (b is null)
                    continue;
                b.Values.AsSpan(d * 2 * g + from, h).CopyTo(biasIh.Slice(gate * h, h));
                b.Values.AsSpan(d * 2 * g + g + from, h).CopyTo(biasHh.Slice(gate * h, h));
            }
        }

        (float[] Values, long Batch)? h0 = InitialState(file, node, 5, "initial_h", directions, h, batchFirst);
        (float[] Values, long Batch)? c0 = node.OpType == "LSTM" ? InitialState(file, node, 6, "initial_c", directions, h, batchFirst) : null;
        if (h0 is not null && c0 is not null && h0.Value.Batch != c0.Value.Batch)
            throw new InvalidDataException($"ONNX {node}: initial_h has batch {h0.Value.Batch}, initial_c {c0.Value.Batch}.");
        return new OnnxRecurrentNode(node.Name, node.OpType, direction, (int)layout, stack, parameters,
            [.. node.Node.Input], [.. node.Node.Output], h0?.Values, c0?.Values, (int)((h0 ?? c0)?.Batch ?? 0), sequenceLengths);
    }

    /// <summary>Throws unless <paramref name="dims"/> are exactly <paramref name="expected"/>.</summary>
    public static void CheckDims(NodeAttributes node, string input, string name, long[] dims, params long[] expected)
    {
        if (!dims.AsSpan().SequenceEqual(expected))
            throw new InvalidDataException($"ONNX {node}: input {input} '{name}' has dims [{string.Join(", ", dims)}], expected [{string.Join(", ", expected)}] from the node's attributes (direction, hidden_size) and W.");
    }

    private static TensorValues? Constant(ModelFile file, NodeAttributes node, int index, string input, bool required)
    {
        string name = node.Input(index);
        if (name.Length == 0)
        {
            if (required)
                throw new InvalidDataException($"ONNX {node}: no input {input}.");
            return null;
        }

        TensorProto? constant = file.FindConstant(name);
        if (constant is null)
            throw new NotSupportedException($"ONNX {node}: input {input} '{name}' is not an initializer or a Constant; SimdRnn.Onnx reads the weights from the model's constants.");
        return TensorValues.Read(constant, $"{node}: input {input} '{name}'");
    }

    /// <summary>A constant initial state as SimdRnn's D x N x H (ONNX's [D, N, H], or [N, D, H] with layout = 1,
    /// transposed here) and its N; null when it is a graph input, computed, or absent.</summary>
    private static (float[] Values, long Batch)? InitialState(ModelFile file, NodeAttributes node, int index, string input, int directions, int hiddenSize, bool batchFirst)
    {
        string name = node.Input(index);
        TensorProto? constant = name.Length > 0 ? file.FindConstant(name) : null;
        if (constant is null)
            return null;
        TensorValues state = TensorValues.Read(constant, $"{node}: input {input} '{name}'");
        int directionDim = batchFirst ? 1 : 0, batchDim = 1 - directionDim;
        if (state.Dims.Length != 3 || state.Dims[directionDim] != directions || state.Dims[batchDim] < 1 || state.Dims[2] != hiddenSize)
            throw new InvalidDataException($"ONNX {node}: input {input} '{name}' has dims [{string.Join(", ", state.Dims)}], expected {(batchFirst ? $"[batch, {directions}, {hiddenSize}] (layout = 1)" : $"[{directions}, batch, {hiddenSize}]")}.");
        long batch = state.Dims[batchDim];
        if (!batchFirst)
            return (state.Values, batch);
        float[] timeMajor = new float[state.Values.Length];
        for (int n = 0; n < batch; n++)
            for (int d = 0; d < directions; d++)
                state.Values.AsSpan((n * directions + d) * hiddenSize, hiddenSize).CopyTo(timeMajor.AsSpan((d * (int)batch + n) * hiddenSize, hiddenSize));
        return (timeMajor, batch);
    }
}
