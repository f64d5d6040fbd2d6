using SimdRnn.Onnx.Protobuf;
using SimdRnn.Onnx.Tests.Support;

namespace SimdRnn.Onnx.Tests;

/// <summary>
/// What SimdRnn cannot run is refused with a <see cref="NotSupportedException"/> naming the node and the attribute
/// or input; the same model without it loads (so each test fails if the refusal is dropped or misfires).
/// </summary>
public class RefusalTests
{
    private static NodeModel Model(string op = "LSTM", int directions = 1) => new(op, 3, 4, directions, 2, 2, new Random(7));

    private static void AssertRefused(NodeModel model, params string[] named)
    {
        var e = Assert.Throws<NotSupportedException>(() => model.Load());
        Assert.Contains("node 'rnn_node'", e.Message, StringComparison.Ordinal);
        foreach (string text in named)
            Assert.Contains(text, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("LSTM")]
    [InlineData("GRU")]
    [InlineData("RNN")]
    public void The_unchanged_models_load(string op)
    {
        Assert.Single(Model(op).Load().Nodes);
        Assert.Single(Model(op, directions: 2).Load().Nodes);
    }

    [Theory]
    [InlineData("LSTM", "Sigmoid,Tanh,Relu")]
    [InlineData("LSTM", "HardSigmoid,Tanh,Tanh")]
    [InlineData("GRU", "Sigmoid,Relu")]
    [InlineData("RNN", "Sigmoid")]
    [InlineData("RNN", "LeakyRelu")]
    public void Non_default_activations(string op, string activations)
    {
        NodeModel model = Model(op);
        model.Attributes.Add(NodeModel.Texts("activations", activations.Split(',')));
        AssertRefused(model, "'activations'", activations.Split(',')[^1]);
    }

    [Fact]
    public void Bidirectional_rnn_with_relu_one_way_and_tanh_the_other()
    {
        NodeModel model = Model("RNN", directions: 2);
        model.Attributes.Add(NodeModel.Texts("activations", "Relu", "Tanh"));
        AssertRefused(model, "'activations'");
    }

    [Fact]
    public void Default_activations_spelt_out_load()
    {
        NodeModel lstm = Model("LSTM", directions: 2), gru = Model("GRU");
        lstm.Attributes.Add(NodeModel.Texts("activations", "Sigmoid", "Tanh", "Tanh", "Sigmoid", "Tanh", "Tanh"));
        gru.Attributes.Add(NodeModel.Texts("activations", "Sigmoid", "Tanh"));
        Assert.Equal(CellKind.Lstm, lstm.Load().Nodes[0].Stack.Cell);
        Assert.Equal(CellKind.Gru, gru.Load().Nodes[0].Stack.Cell);
    }

    [Theory]
    [InlineData("activation_alpha")]
    [InlineData("activation_beta")]
    public void Activation_parameters(string attribute)
    {
        NodeModel model = Model("RNN");
        model.Attributes.Add(NodeModel.Floats(attribute, 0.5f));
        AssertRefused(model, $"'{attribute}'");
    }

    [Theory]
    [InlineData("LSTM")]
    [InlineData("GRU")]
    [InlineData("RNN")]
    public void Clip(string op)
    {
        NodeModel model = Model(op);
        model.Attributes.Add(NodeModel.Float("clip", 3));
        AssertRefused(model, "'clip'");
    }

    [Fact]
    public void Input_forget()
    {
        NodeModel model = Model();
        model.Attributes.Add(NodeModel.Int("input_forget", 1));
        AssertRefused(model, "'input_forget' = 1");

        NodeModel zero = Model();
        zero.Attributes.Add(NodeModel.Int("input_forget", 0));
        Assert.Single(zero.Load().Nodes);
    }

    [Fact]
    public void Non_zero_peepholes_and_computed_peepholes_are_refused_zero_ones_load()
    {
        float[] p = new float[3 * 4];
        NodeModel zero = Model();
        zero.ExtraInitializers.Add(NodeModel.Tensor("P", p, [1, 12], raw: false));
        zero.ExtraInputs[7] = "P";
        Assert.Single(zero.Load().Nodes);

        p[5] = 0.25f;
        NodeModel nonZero = Model();
        nonZero.ExtraInitializers.Add(NodeModel.Tensor("P", p, [1, 12], raw: true));
        nonZero.ExtraInputs[7] = "P";
        AssertRefused(nonZero, "input 'P'", "non-zero");

        NodeModel computed = Model();
        computed.ExtraInputs[7] = "p_from_the_graph";
        AssertRefused(computed, "input 'P'");
    }

    /// <summary>No longer refused: linear_before_reset = 0, set or by default, is the core's reset-first GRU (its results
    /// against ONNX Runtime: <see cref="OnnxRuntimeTests.Random_one_node_models_match_onnx_runtime"/>).</summary>
    [Fact]
    public void Gru_with_linear_before_reset_0_set_or_by_default_runs_the_reset_first_form()
    {
        NodeModel set = Model("GRU");
        set.Attributes.RemoveAll(a => a.Name == "linear_before_reset");
        set.Attributes.Add(NodeModel.Int("linear_before_reset", 0));
        Assert.False(Assert.Single(set.Load().Nodes).Stack.LinearBeforeReset);

        NodeModel byDefault = Model("GRU");
        byDefault.Attributes.RemoveAll(a => a.Name == "linear_before_reset");
        Assert.False(Assert.Single(byDefault.Load().Nodes).Stack.LinearBeforeReset);

        Assert.True(Assert.Single(Model("GRU").Load().Nodes).Stack.LinearBeforeReset);
    }

    [Fact]
    public void Constant_sequence_lengths()
    {
        NodeModel model = Model();
        model.ExtraInputs[4] = "lengths";
        var lengths = new TensorProto { Name = "lengths", DataType = (int)TensorProto.Types.DataType.Int32 };
        lengths.Dims.Add(model.Batch);
        lengths.Int32Data.AddRange(Enumerable.Repeat(model.Steps, model.Batch));
        model.ExtraInitializers.Add(lengths);
        AssertRefused(model, "'sequence_lens' ('lengths') as a constant", "graph input");
    }

    [Fact]
    public void Reverse_direction()
    {
        NodeModel model = Model("GRU");
        model.Attributes.Add(NodeModel.Text("direction", "reverse"));
        AssertRefused(model, "'direction' = reverse");
    }

    [Fact]
    public void Unknown_attribute()
    {
        NodeModel model = Model();
        model.Attributes.Add(NodeModel.Int("linear_before_reset", 1)); // a GRU attribute on an LSTM
        AssertRefused(model, "'linear_before_reset'", "LSTM");
    }

    [Fact]
    public void Weights_that_are_not_constants()
    {
        ModelProto proto = Model().Build();
        proto.Graph.Initializer.Remove(proto.Graph.Initializer.Single(t => t.Name == "R"));
        var e = Assert.Throws<NotSupportedException>(() => OnnxRecurrentModel.Load(new MemoryStream(Google.Protobuf.MessageExtensions.ToByteArray(proto))));
        Assert.Contains("node 'rnn_node' (LSTM): input R 'R'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void External_data()
    {
        ModelProto proto = Model().Build();
        TensorProto w = proto.Graph.Initializer.Single(t => t.Name == "W");
        w.DataLocation = TensorProto.Types.DataLocation.External;
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
        var e = Assert.Throws<NotSupportedException>(() => OnnxRecurrentModel.Load(new MemoryStream(Google.Protobuf.MessageExtensions.ToByteArray(proto))));
        Assert.Contains("node 'rnn_node' (LSTM): input W 'W'", e.Message, StringComparison.Ordinal);
        Assert.Contains("external", e.Message, StringComparison.Ordinal);
    }
}
