using Google.Protobuf;
using SimdRnn.Onnx.Protobuf;

namespace SimdRnn.Onnx.Tests.Support;

/// <summary>
/// A one-node ONNX model written here (through the package's own generated protobuf classes): an LSTM, GRU or RNN with
/// weights in ONNX's layout and gate order, as float_data or raw_data, graph inputs x (and h0 / c0 unless they are
/// constants) and outputs Y, Y_h (Y_c).
/// </summary>
internal sealed class NodeModel
{
    public NodeModel(string op, int input, int hidden, int directions, int steps, int batch, Random random)
    {
        Op = op;
        Input = input;
        Hidden = hidden;
        Directions = directions;
        Steps = steps;
        Batch = batch;
        int g = Gates * hidden;
        W = Uniform(random, directions * g * input);
        R = Uniform(random, directions * g * hidden);
        B = Uniform(random, directions * 2 * g);
        if (op == "GRU")
            Attributes.Add(Int("linear_before_reset", 1));
        if (directions == 2)
            Attributes.Add(Text("direction", "bidirectional"));
        Attributes.Add(Int("hidden_size", hidden));
    }

    public string Op { get; }

    public int Input { get; }

    public int Hidden { get; }

    public int Directions { get; }

    public int Steps { get; }

    public int Batch { get; }

    public int Gates => Op switch { "LSTM" => 4, "GRU" => 3, _ => 1 };

    public bool Lstm => Op == "LSTM";

    public float[] W { get; set; }

    public float[] R { get; set; }

    public float[]? B { get; set; }

    /// <summary>Weights as raw_data (little-endian bytes) instead of float_data.</summary>
    public bool RawData { get; set; }

    /// <summary>initial_h / initial_c as initializers (D x N x H) instead of graph inputs.</summary>
    public float[]? ConstantH0 { get; set; }

    public float[]? ConstantC0 { get; set; }

    /// <summary>layout = 1: X [N, T, I], Y [N, T, D, H], states [N, D, H].</summary>
    public bool BatchMajor { get; set; }

    /// <summary>sequence_lens as the int32 graph input "seq_lens" [N].</summary>
    public bool SequenceLengths { get; set; }

    public List<AttributeProto> Attributes { get; } = [];

    /// <summary>Extra node inputs after the standard ones, by index (e.g. 4 = sequence_lens, 7 = P) -> name.</summary>
    public Dictionary<int, string> ExtraInputs { get; } = [];

    public List<TensorProto> ExtraInitializers { get; } = [];

    public string NodeName { get; set; } = "rnn_node";

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Text(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Texts(string name, params string[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings };
        attribute.Strings.AddRange(values.Select(ByteString.CopyFromUtf8));
        return attribute;
    }

    public static AttributeProto Floats(string name, params float[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        attribute.Floats.AddRange(values);
        return attribute;
    }

    public static TensorProto Tensor(string name, float[] values, long[] dims, bool raw)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        if (raw)
        {
            byte[] bytes = new byte[values.Length * 4];
            for (int k = 0; k < values.Length; k++)
                System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * k), values[k]);
            tensor.RawData = ByteString.CopyFrom(bytes);
        }
        else
        {
            tensor.FloatData.AddRange(values);
        }

        return tensor;
    }

    public long[] StateShape => BatchMajor ? [Batch, Directions, Hidden] : [Directions, Batch, Hidden];

    public long[] InputShape => BatchMajor ? [Batch, Steps, Input] : [Steps, Batch, Input];

    public ModelProto Build()
    {
        int g = Gates * Hidden;
        var graph = new GraphProto { Name = "test" };
        graph.Initializer.Add(Tensor("W", W, [Directions, g, Input], RawData));
        graph.Initializer.Add(Tensor("R", R, [Directions, g, Hidden], RawData));
        if (B is not null)
            graph.Initializer.Add(Tensor("B", B, [Directions, 2 * g], RawData));
        graph.Input.Add(Value("x", InputShape));
        if (SequenceLengths)
            graph.Input.Add(Value("seq_lens", [Batch], TensorProto.Types.DataType.Int32));
        if (ConstantH0 is null)
            graph.Input.Add(Value("h0", StateShape));
        else
            graph.Initializer.Add(Tensor("h0", ConstantH0, StateShape, RawData));
        if (Lstm && ConstantC0 is null)
            graph.Input.Add(Value("c0", StateShape));
        else if (Lstm)
            graph.Initializer.Add(Tensor("c0", ConstantC0!, StateShape, RawData));
        graph.Initializer.AddRange(ExtraInitializers);

        var node = new NodeProto { Name = NodeName, OpType = Op };
        var inputs = new List<string> { "x", "W", "R", B is null ? "" : "B", SequenceLengths ? "seq_lens" : "", "h0" };
        if (Lstm)
            inputs.Add("c0");
        foreach ((int index, string name) in ExtraInputs)
        {
            while (inputs.Count <= index)
                inputs.Add("");
            inputs[index] = name;
        }

        node.Input.AddRange(inputs);
        node.Output.AddRange(Lstm ? ["Y", "Y_h", "Y_c"] : ["Y", "Y_h"]);
        node.Attribute.AddRange(Attributes);
        if (BatchMajor)
            node.Attribute.Add(Int("layout", 1));
        graph.Node.Add(node);
        graph.Output.Add(Value("Y", BatchMajor ? [Batch, Steps, Directions, Hidden] : [Steps, Directions, Batch, Hidden]));
        graph.Output.Add(Value("Y_h", StateShape));
        if (Lstm)
            graph.Output.Add(Value("Y_c", StateShape));
        var model = new ModelProto { IrVersion = 7, ProducerName = "SimdRnn.Onnx.Tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 14 });
        return model;
    }

    public byte[] Bytes() => Build().ToByteArray();

    public OnnxRecurrentModel Load() => OnnxRecurrentModel.Load(new MemoryStream(Bytes()));

    private static ValueInfoProto Value(string name, long[] dims, TensorProto.Types.DataType type = TensorProto.Types.DataType.Float)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }));
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    public static float[] Uniform(Random random, int count)
    {
        float[] values = new float[count];
        for (int k = 0; k < count; k++)
            values[k] = (float)(random.NextDouble() - 0.5);
        return values;
    }
}
