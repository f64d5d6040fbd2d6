using SimdRnn.Onnx.Tests.Support;

namespace SimdRnn.Onnx.Tests;

/// <summary>
/// The models torch.onnx.export wrote (Fixtures/export_fixtures.py): the imported parameters are bitwise PyTorch's own
/// state_dict (so the gate reordering and the B split are exactly PyTorch's layout), and running the imported nodes
/// gives PyTorch's outputs. No ONNX Runtime here: these run wherever the tests do.
/// </summary>
public class TorchFixtureTests
{
    public static TheoryData<string> Names => new(Fixture.Names);

    [Theory]
    [MemberData(nameof(Names))]
    public void Imported_parameters_are_the_pytorch_state_dict_bitwise(string name)
    {
        Fixture fixture = Fixture.Load(name);
        OnnxRecurrentModel model = OnnxRecurrentModel.Load(fixture.ModelPath);

        Assert.Equal("pytorch", model.ProducerName);
        Assert.Equal(14, model.OpsetVersion);
        for (int layer = 0; layer < model.Nodes.Count; layer++)
        {
            RecurrentParameters parameters = model.Nodes[layer].Parameters;
            Assert.Equal(1, parameters.Layers);
            foreach (string tensor in parameters.Names)
            {
                string torchName = tensor.Replace("_l0", $"_l{layer}", StringComparison.Ordinal);
                Assert.Equal(fixture.Shape(torchName), parameters.Shape(tensor));
                Assert.Equal(fixture[torchName], parameters[tensor].ToArray());
            }
        }

        Assert.False(fixture.Has($"weight_ih_l{model.Nodes.Count}"), "a layer of the PyTorch module was not imported");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Imported_nodes_give_the_pytorch_outputs(string name)
    {
        Fixture fixture = Fixture.Load(name);
        OnnxRecurrentModel model = OnnxRecurrentModel.Load(fixture.ModelPath);
        int steps = fixture.Shape("x")[0], batch = fixture.Shape("x")[1];
        (float[] y, float[] hT, float[] cT) = NodeChain.Run(model.Nodes, steps, batch, fixture["x"], fixture["h0"],
            fixture.Has("c0") ? fixture["c0"] : null);

        Close.Within1e5("y", fixture["y"], y);
        Close.Within1e5("hT", fixture["hT"], hT);
        if (fixture.Has("cT"))
            Close.Within1e5("cT", fixture["cT"], cT);
    }

    [Fact]
    public void Each_exported_node_has_the_shape_of_its_pytorch_module()
    {
        OnnxRecurrentModel model = OnnxRecurrentModel.Load(Fixture.Path("gru_2layers_bidirectional.onnx"));

        Assert.Equal(2, model.Nodes.Count);
        (int Input, string Name)[] expected = [(2, "/rnn/GRU"), (6, "/rnn/GRU_1")]; // the second layer reads both directions
        for (int k = 0; k < 2; k++)
        {
            OnnxRecurrentNode node = model.Nodes[k];
            Assert.Equal(expected[k].Name, node.Name);
            Assert.Equal("GRU", node.OperatorType);
            Assert.Equal("bidirectional", node.Direction);
            Assert.Equal(0, node.Layout);
            Assert.Equal((CellKind.Gru, expected[k].Input, 3, 1, 2),
                (node.Stack.Cell, node.Stack.InputSize, node.Stack.HiddenSize, node.Stack.Layers, node.Stack.Directions));
            Assert.Null(node.InitialHiddenState); // a slice of the graph input h0
            Assert.Equal(0, node.InitialStateBatch);
            Assert.Equal(2, node.Outputs.Count);
        }

        Assert.Equal(CellKind.RnnRelu, OnnxRecurrentModel.Load(Fixture.Path("rnn_relu.onnx")).Nodes[0].Stack.Cell);
        Assert.Equal(CellKind.RnnTanh, OnnxRecurrentModel.Load(Fixture.Path("rnn_tanh.onnx")).Nodes[0].Stack.Cell);
    }
}
