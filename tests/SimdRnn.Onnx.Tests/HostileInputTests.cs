using System.Buffers.Binary;
using Google.Protobuf;
using SimdRnn.Onnx.Protobuf;
using SimdRnn.Onnx.Tests.Support;
using SimdRnn.Tests.Support;

namespace SimdRnn.Onnx.Tests;

/// <summary>Files that are not ONNX models, or whose recurrent node contradicts its weights: InvalidDataException naming what is wrong.</summary>
public class HostileInputTests
{
    private static NodeModel Model(string op = "LSTM", int directions = 1) => new(op, 3, 4, directions, 2, 2, new Random(11));

    private static InvalidDataException Refused(ModelProto proto) =>
        Assert.Throws<InvalidDataException>(() => OnnxRecurrentModel.Load(new MemoryStream(proto.ToByteArray())));

    private static TensorProto Initializer(ModelProto proto, string name) => proto.Graph.Initializer.Single(t => t.Name == name);

    [Fact]
    public void Arguments_are_checked()
    {
        Assert.Equal("path", Assert.Throws<ArgumentNullException>(() => OnnxRecurrentModel.Load((string)null!)).ParamName);
        Assert.Equal("stream", Assert.Throws<ArgumentNullException>(() => OnnxRecurrentModel.Load((Stream)null!)).ParamName);
        using var writeOnly = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.DeleteOnClose);
        Assert.Equal("stream", Assert.Throws<ArgumentException>(() => OnnxRecurrentModel.Load(writeOnly)).ParamName);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not an onnx model at all")]
    [InlineData("\u0008\u0007\u0012")] // ir_version 7, then a truncated length-delimited field
    public void Files_that_are_not_models(string text)
    {
        var e = Assert.Throws<InvalidDataException>(() => OnnxRecurrentModel.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text))));
        Assert.StartsWith("ONNX model:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_without_recurrent_nodes()
    {
        ModelProto proto = Model().Build();
        proto.Graph.Node[0].OpType = "MatMul";
        Assert.Contains("no LSTM, GRU or RNN node in its graph (operators: MatMul)", Refused(proto).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stream_that_cannot_seek_reads_the_same()
    {
        byte[] bytes = Model().Bytes();
        OnnxRecurrentNode seekable = OnnxRecurrentModel.Load(new MemoryStream(bytes)).Nodes[0];
        OnnxRecurrentNode trickled = OnnxRecurrentModel.Load(new TrickleStream(bytes, maxRead: 7)).Nodes[0];
        Assert.Equal(seekable.Parameters.All, trickled.Parameters.All);
    }

    [Theory]
    [InlineData("W", new long[] { 1, 15, 3 })] // 4 * hidden_size rows expected
    [InlineData("W", new long[] { 2, 16, 3 })] // two directions in a forward node
    [InlineData("R", new long[] { 1, 16, 3 })] // R must be square per gate
    [InlineData("B", new long[] { 1, 16 })] // B holds Wb and Rb
    public void Weight_dims_that_contradict_the_attributes(string input, long[] dims)
    {
        ModelProto proto = Model().Build();
        TensorProto tensor = Initializer(proto, input);
        long count = dims.Aggregate(1L, (a, b) => a * b);
        tensor.Dims.Clear();
        tensor.Dims.AddRange(dims);
        tensor.FloatData.Clear();
        tensor.FloatData.AddRange(new float[count]);
        string message = Refused(proto).Message;
        Assert.Contains($"node 'rnn_node' (LSTM): input {input} '{input}' has dims [{string.Join(", ", dims)}]", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hidden_size_that_contradicts_the_weights()
    {
        ModelProto proto = Model().Build();
        proto.Graph.Node[0].Attribute.Single(a => a.Name == "hidden_size").I = 5;
        Assert.Contains("node 'rnn_node' (LSTM): input W 'W' has dims [1, 16, 3], expected [1, 20, 3]", Refused(proto).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hidden_size_may_be_left_out()
    {
        NodeModel model = Model("GRU", directions: 2);
        model.Attributes.RemoveAll(a => a.Name == "hidden_size");
        Assert.Equal(4, model.Load().Nodes[0].Stack.HiddenSize);
    }

    [Theory]
    [InlineData("more elements", new long[] { 1L << 40, 16, 3 })]
    [InlineData("negative dimension", new long[] { 1, 16, -3 })]
    [InlineData("more elements", new long[] { 1L << 31, 1L << 31, 1L << 31 })]
    [InlineData("more elements", new long[] { 2, 1L << 62, 1 })] // a product that overflows a long (to a count of 0)
    public void Dims_beyond_the_data_are_refused_before_allocating(string reason, long[] dims)
    {
        ModelProto proto = Model().Build();
        TensorProto w = Initializer(proto, "W");
        w.Dims.Clear();
        w.Dims.AddRange(dims);
        long before = GC.GetAllocatedBytesForCurrentThread();
        string message = Refused(proto).Message;
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "allocated as the dims said");
        Assert.Contains($"input W 'W': {reason}", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Raw_data_of_the_wrong_length()
    {
        NodeModel model = Model();
        model.RawData = true;
        ModelProto proto = model.Build();
        TensorProto r = Initializer(proto, "R");
        r.RawData = ByteString.CopyFrom(r.RawData.Span[..^1]);
        Assert.Contains("input R 'R': raw_data holds 255 bytes; dims [1, 16, 4] need 256", Refused(proto).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Float_data_of_the_wrong_count()
    {
        ModelProto proto = Model().Build();
        Initializer(proto, "B").FloatData.Add(1f);
        Assert.Contains("input B 'B': 33 values; dims [1, 32] need 32", Refused(proto).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Raw_data_and_float_data_both_set()
    {
        ModelProto proto = Model().Build();
        TensorProto w = Initializer(proto, "W");
        w.RawData = ByteString.CopyFrom(new byte[w.FloatData.Count * 4]);
        Assert.Contains("both raw_data and a typed data field", Refused(proto).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(7)] // INT64
    [InlineData(8)] // STRING
    [InlineData(99)]
    public void Weights_that_are_not_floating_point(int type)
    {
        ModelProto proto = Model().Build();
        Initializer(proto, "W").DataType = type;
        Assert.Contains($"input W 'W': data_type {type} is not a floating-point type", Refused(proto).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Double", false)]
    [InlineData("Double", true)]
    [InlineData("Float16", false)]
    [InlineData("Float16", true)]
    [InlineData("Bfloat16", false)]
    [InlineData("Bfloat16", true)]
    [InlineData("Float", true)]
    public void Every_floating_point_type_and_storage_gives_the_float_values(string typeName, bool raw)
    {
        var type = Enum.Parse<TensorProto.Types.DataType>(typeName);
        // Multiples of 1/64 in [-1, 1]: exact in every one of these types, so each must load bitwise the same.
        var random = new Random(5);
        NodeModel model = Model("GRU");
        model.W = model.W.Select(_ => random.Next(-64, 65) / 64f).ToArray();
        model.R = model.R.Select(_ => random.Next(-64, 65) / 64f).ToArray();
        model.B = model.B!.Select(_ => random.Next(-64, 65) / 64f).ToArray();
        float[] expected = model.Load().Nodes[0].Parameters.All;

        ModelProto proto = model.Build();
        foreach (TensorProto tensor in proto.Graph.Initializer)
            Encode(tensor, type, raw);
        float[] actual = OnnxRecurrentModel.Load(new MemoryStream(proto.ToByteArray())).Nodes[0].Parameters.All;

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Constant_initial_states_of_the_wrong_shape()
    {
        NodeModel model = Model();
        model.ConstantH0 = new float[8];
        model.ConstantC0 = new float[8];
        ModelProto proto = model.Build();
        TensorProto h0 = Initializer(proto, "h0");
        h0.Dims.Clear();
        h0.Dims.AddRange([1, 4, 2]); // H and N swapped
        Assert.Contains("input initial_h 'h0' has dims [1, 4, 2], expected [1, batch, 4]", Refused(proto).Message, StringComparison.Ordinal);

        TensorProto c0 = Initializer(proto, "c0");
        h0.Dims.Clear();
        h0.Dims.AddRange([1, 2, 4]);
        c0.Dims.Clear();
        c0.Dims.AddRange([1, 1, 4]);
        c0.FloatData.RemoveAt(0);
        c0.FloatData.RemoveAt(0);
        c0.FloatData.RemoveAt(0);
        c0.FloatData.RemoveAt(0);
        Assert.Contains("initial_h has batch 2, initial_c 1", Refused(proto).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Attributes_of_the_wrong_type_or_twice()
    {
        ModelProto proto = Model().Build();
        AttributeProto hidden = proto.Graph.Node[0].Attribute.Single(a => a.Name == "hidden_size");
        hidden.Type = AttributeProto.Types.AttributeType.Float;
        Assert.Contains("attribute 'hidden_size' is of type Float, expected Int", Refused(proto).Message, StringComparison.Ordinal);

        hidden.Type = AttributeProto.Types.AttributeType.Int;
        proto.Graph.Node[0].Attribute.Add(hidden.Clone());
        Assert.Contains("attribute 'hidden_size' appears twice", Refused(proto).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("direction", "sideways")]
    [InlineData("layout", "2")]
    [InlineData("linear_before_reset", "2")]
    public void Attribute_values_onnx_does_not_define(string attribute, string value)
    {
        NodeModel model = Model("GRU");
        model.Attributes.RemoveAll(a => a.Name == attribute);
        model.Attributes.Add(long.TryParse(value, out long number) ? NodeModel.Int(attribute, number) : NodeModel.Text(attribute, value));
        var e = Assert.Throws<InvalidDataException>(() => model.Load());
        Assert.Contains($"node 'rnn_node' (GRU): attribute '{attribute}' = ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_initializers_with_one_name()
    {
        ModelProto proto = Model().Build();
        proto.Graph.Initializer.Add(Initializer(proto, "R").Clone());
        Assert.Contains("two initializers are called 'R'", Refused(proto).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unnamed_node_is_named_by_its_index()
    {
        NodeModel model = Model();
        model.NodeName = "";
        model.Attributes.Add(NodeModel.Float("clip", 1));
        Assert.Contains("node '#0 LSTM' (LSTM)", Assert.Throws<NotSupportedException>(() => model.Load()).Message, StringComparison.Ordinal);
    }

    private static void Encode(TensorProto tensor, TensorProto.Types.DataType type, bool raw)
    {
        float[] values = [.. tensor.FloatData];
        tensor.FloatData.Clear();
        tensor.DataType = (int)type;
        int size = type switch { TensorProto.Types.DataType.Double => 8, TensorProto.Types.DataType.Float => 4, _ => 2 };
        byte[] bytes = new byte[values.Length * size];
        for (int k = 0; k < values.Length; k++)
        {
            ushort bits16 = type == TensorProto.Types.DataType.Float16
                ? BitConverter.HalfToUInt16Bits((Half)values[k])
                : (ushort)(BitConverter.SingleToUInt32Bits(values[k]) >> 16);
            switch (type)
            {
                case TensorProto.Types.DataType.Double when raw:
                    BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(8 * k), values[k]);
                    break;
                case TensorProto.Types.DataType.Double:
                    tensor.DoubleData.Add(values[k]);
                    break;
                case TensorProto.Types.DataType.Float:
                    BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * k), values[k]);
                    break;
                case var _ when raw:
                    BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * k), bits16);
                    break;
                default:
                    tensor.Int32Data.Add(bits16);
                    break;
            }
        }

        if (raw)
            tensor.RawData = ByteString.CopyFrom(bytes);
    }
}
