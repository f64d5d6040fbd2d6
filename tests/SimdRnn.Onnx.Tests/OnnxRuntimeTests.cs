using FsCheck;
using FsCheck.Fluent;
using SimdRnn.Onnx.Tests.Support;

namespace SimdRnn.Onnx.Tests;

/// <summary>
/// ONNX Runtime (1.31.1, CPU) as the oracle: it runs the whole ONNX graph, SimdRnn runs the imported nodes; outputs
/// within 1e-5 relative. The exported PyTorch models, and random one-node models written here (every operator, one or
/// two directions, odd sizes, float_data or raw_data, with or without B, initial states as graph inputs or constants).
/// </summary>
[Trait("Oracle", "OnnxRuntime")]
public class OnnxRuntimeTests
{
    public static TheoryData<string> Names => new(Fixture.Names);

    [Theory]
    [MemberData(nameof(Names))]
    public void Exported_models_match_onnx_runtime(string name)
    {
        Fixture fixture = Fixture.Load(name);
        bool lstm = fixture.Has("c0");
        long[] Shape(string tensor) => Array.ConvertAll(fixture.Shape(tensor), d => (long)d);
        var inputs = new List<(string, float[], long[])> { ("x", fixture["x"], Shape("x")), ("h0", fixture["h0"], Shape("h0")) };
        if (lstm)
            inputs.Add(("c0", fixture["c0"], Shape("c0")));
        float[][] expected = OnnxRuntimeOracle.Run(File.ReadAllBytes(fixture.ModelPath), inputs, lstm ? ["y", "hT", "cT"] : ["y", "hT"]);

        OnnxRecurrentModel model = OnnxRecurrentModel.Load(fixture.ModelPath);
        (float[] y, float[] hT, float[] cT) = NodeChain.Run(model.Nodes, fixture.Shape("x")[0], fixture.Shape("x")[1],
            fixture["x"], fixture["h0"], lstm ? fixture["c0"] : null);

        Close.Within1e5("y", expected[0], y);
        Close.Within1e5("hT", expected[1], hT);
        if (lstm)
            Close.Within1e5("cT", expected[2], cT);
    }

    public sealed record Draw(string Op, bool Relu, int Directions, int Input, int Hidden, int Steps, int Batch,
        bool RawData, bool Bias, bool ConstantStates, int Seed);

    private static Gen<Draw> Draws =>
        from op in Gen.Elements("LSTM", "GRU", "RNN")
        from relu in Gen.Elements(false, true)
        from directions in Gen.Choose(1, 2)
        from input in Gen.Choose(1, 9)
        from hidden in Gen.Choose(1, 17)
        from steps in Gen.Choose(1, 6)
        from batch in Gen.Choose(1, 5)
        from raw in Gen.Elements(false, true)
        from bias in Gen.Elements(false, true)
        from constantStates in Gen.Elements(false, true)
        from seed in Gen.Choose(0, int.MaxValue)
        select new Draw(op, relu && op == "RNN", directions, input, hidden, steps, batch, raw, bias, constantStates, seed);

    [Fact]
    public void Random_one_node_models_match_onnx_runtime()
    {
        Prop.ForAll(Draws.ToArbitrary(), Check).Check(Config.QuickThrowOnFailure.WithMaxTest(60).WithQuietOnSuccess(true));
    }

    private static void Check(Draw draw)
    {
        var random = new Random(draw.Seed);
        var spec = new NodeModel(draw.Op, draw.Input, draw.Hidden, draw.Directions, draw.Steps, draw.Batch, random) { RawData = draw.RawData };
        if (!draw.Bias)
            spec.B = null;
        if (draw.Relu)
            spec.Attributes.Add(NodeModel.Texts("activations", [.. Enumerable.Repeat("Relu", draw.Directions)]));
        int stateLength = draw.Directions * draw.Batch * draw.Hidden;
        float[] x = NodeModel.Uniform(random, draw.Steps * draw.Batch * draw.Input);
        float[] h0 = NodeModel.Uniform(random, stateLength), c0 = NodeModel.Uniform(random, stateLength);
        var inputs = new List<(string, float[], long[])> { ("x", x, [draw.Steps, draw.Batch, draw.Input]) };
        if (draw.ConstantStates)
        {
            spec.ConstantH0 = h0;
            spec.ConstantC0 = spec.Lstm ? c0 : null;
        }
        else
        {
            inputs.Add(("h0", h0, spec.StateShape));
            if (spec.Lstm)
                inputs.Add(("c0", c0, spec.StateShape));
        }

        byte[] bytes = spec.Bytes();
        float[][] expected = OnnxRuntimeOracle.Run(bytes, inputs, spec.Lstm ? ["Y", "Y_h", "Y_c"] : ["Y", "Y_h"]);

        OnnxRecurrentNode node = Assert.Single(OnnxRecurrentModel.Load(new MemoryStream(bytes)).Nodes);
        Assert.Equal(draw.Relu ? CellKind.RnnRelu : draw.Op switch { "LSTM" => CellKind.Lstm, "GRU" => CellKind.Gru, _ => CellKind.RnnTanh }, node.Stack.Cell);
        if (draw.ConstantStates)
        {
            Assert.Equal(h0, node.InitialHiddenState);
            Assert.Equal(spec.Lstm ? c0 : null, node.InitialCellState);
            Assert.Equal(draw.Batch, node.InitialStateBatch);
        }

        (float[] y, float[] hT, float[] cT) = NodeChain.Run([node], draw.Steps, draw.Batch, x,
            node.InitialHiddenState ?? h0, spec.Lstm ? node.InitialCellState ?? c0 : null);

        string what = draw.ToString();
        Close.Within1e5($"{what} Y", NodeChain.FromOnnxY(expected[0], draw.Steps, draw.Directions, draw.Batch, draw.Hidden), y);
        Close.Within1e5($"{what} Y_h", expected[1], hT);
        if (spec.Lstm)
            Close.Within1e5($"{what} Y_c", expected[2], cT);
    }
}
