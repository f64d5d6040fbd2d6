using FsCheck;
using FsCheck.Fluent;
using SimdRnn.Onnx.Tests.Support;

namespace SimdRnn.Onnx.Tests;

/// <summary>
/// ONNX Runtime (1.31.1, CPU) as the oracle: it runs the whole ONNX graph, SimdRnn runs the imported nodes; outputs
/// within 1e-5 relative. The exported PyTorch models, and random one-node models written here (every operator, one or
/// two directions, odd sizes, float_data or raw_data, with or without B, initial states as graph inputs or constants,
/// layout 0 or 1, with or without sequence_lens passed as Forward's lengths; GRU with linear_before_reset 1, 0 or absent,
/// i.e. 0: the reset-first GRU, which has no PyTorch form, is checked against ORT here).
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
        bool RawData, bool Bias, bool ConstantStates, bool BatchMajor, bool SequenceLengths, int Seed, int LinearBeforeReset = 1);

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
        from batchMajor in Gen.Elements(false, true)
        from sequenceLengths in Gen.Elements(false, true)
        from seed in Gen.Choose(0, int.MaxValue)
        // GRU: linear_before_reset 1, 0, or absent (-1: ONNX's default, 0).
        from linearBeforeReset in Gen.Elements(1, 0, -1)
        select new Draw(op, relu && op == "RNN", directions, input, hidden, steps, batch, raw, bias, constantStates, batchMajor, sequenceLengths, seed,
            op == "GRU" ? linearBeforeReset : 1);

    [Fact]
    public void Random_one_node_models_match_onnx_runtime()
    {
        Prop.ForAll(Draws.ToArbitrary(), Check).Check(Config.QuickThrowOnFailure.WithMaxTest(120).WithQuietOnSuccess(true));
    }

    private static void Check(Draw draw)
    {
        var random = new Random(draw.Seed);
        var spec = new NodeModel(draw.Op, draw.Input, draw.Hidden, draw.Directions, draw.Steps, draw.Batch, random)
        {
            RawData = draw.RawData, BatchMajor = draw.BatchMajor, SequenceLengths = draw.SequenceLengths,
        };
        if (!draw.Bias)
            spec.B = null;
        if (draw.Relu)
            spec.Attributes.Add(NodeModel.Texts("activations", [.. Enumerable.Repeat("Relu", draw.Directions)]));
        if (draw.LinearBeforeReset != 1)
            spec.Attributes.RemoveAll(a => a.Name == "linear_before_reset");
        if (draw.LinearBeforeReset == 0)
            spec.Attributes.Add(NodeModel.Int("linear_before_reset", 0));
        int stateLength = draw.Directions * draw.Batch * draw.Hidden;
        // x, h0, c0 in the node's ONNX layout; the states in SimdRnn's D x N x H are these transposed when batch-major.
        float[] x = NodeModel.Uniform(random, draw.Steps * draw.Batch * draw.Input);
        float[] h0 = NodeModel.Uniform(random, stateLength), c0 = NodeModel.Uniform(random, stateLength);
        int[] lengths = draw.SequenceLengths ? [.. Enumerable.Range(0, draw.Batch).Select(_ => random.Next(1, draw.Steps + 1))] : [];
        float[] State(float[] onnx) => draw.BatchMajor ? SwapLeadingDimensions(onnx, draw.Batch, draw.Directions, draw.Hidden) : onnx;
        if (draw.ConstantStates)
        {
            spec.ConstantH0 = h0;
            spec.ConstantC0 = spec.Lstm ? c0 : null;
        }

        byte[] bytes = spec.Bytes();

        // ORT's CPU kernels refuse layout = 1 ("Batchwise recurrent operations (layout == 1) are not supported"), and
        // ONNX defines it as X, Y and the states transposed: so the oracle runs the same node time-major on the
        // transposed inputs, and its outputs are time-major (Y_h / Y_c D x N x H, SimdRnn's states as they are).
        spec.BatchMajor = false;
        spec.ConstantH0 = spec.ConstantH0 is null ? null : State(h0);
        spec.ConstantC0 = spec.ConstantC0 is null ? null : State(c0);
        var inputs = new List<(string, float[], long[])>
        {
            ("x", draw.BatchMajor ? SwapLeadingDimensions(x, draw.Batch, draw.Steps, draw.Input) : x, spec.InputShape),
        };
        if (!draw.ConstantStates)
        {
            inputs.Add(("h0", State(h0), spec.StateShape));
            if (spec.Lstm)
                inputs.Add(("c0", State(c0), spec.StateShape));
        }

        float[][] expected = OnnxRuntimeOracle.Run(spec.Bytes(), inputs, spec.Lstm ? ["Y", "Y_h", "Y_c"] : ["Y", "Y_h"],
            draw.SequenceLengths ? [("seq_lens", lengths, [draw.Batch])] : null);

        OnnxRecurrentNode node = Assert.Single(OnnxRecurrentModel.Load(new MemoryStream(bytes)).Nodes);
        Assert.Equal(draw.Relu ? CellKind.RnnRelu : draw.Op switch { "LSTM" => CellKind.Lstm, "GRU" => CellKind.Gru, _ => CellKind.RnnTanh }, node.Stack.Cell);
        Assert.Equal(draw.BatchMajor, node.Stack.BatchFirst);
        Assert.Equal(draw.LinearBeforeReset == 1, node.Stack.LinearBeforeReset);
        Assert.Equal(draw.BatchMajor ? 1 : 0, node.Layout);
        Assert.Equal(draw.SequenceLengths ? "seq_lens" : null, node.SequenceLengthsInput);
        if (draw.ConstantStates)
        {
            Assert.Equal(State(h0), node.InitialHiddenState);
            Assert.Equal(spec.Lstm ? State(c0) : null, node.InitialCellState);
            Assert.Equal(draw.Batch, node.InitialStateBatch);
        }

        RecurrentStack stack = node.Stack;
        float[] y = new float[draw.Steps * draw.Batch * draw.Directions * draw.Hidden];
        float[] hT = new float[stateLength], cT = new float[spec.Lstm ? stateLength : 0];
        float[] workspace = new float[stack.WorkspaceLength(draw.Steps, draw.Batch, training: false, variableLengths: draw.SequenceLengths)];
        stack.Forward(draw.Steps, draw.Batch, x, node.InitialHiddenState ?? State(h0), spec.Lstm ? node.InitialCellState ?? State(c0) : [],
            node.Parameters, y, hT, cT, workspace, training: false, lengths);

        string what = draw.ToString();
        float[] expectedY = NodeChain.FromOnnxY(expected[0], draw.Steps, draw.Directions, draw.Batch, draw.Hidden);
        Close.Within1e5($"{what} Y", draw.BatchMajor ? SwapLeadingDimensions(expectedY, draw.Steps, draw.Batch, draw.Directions * draw.Hidden) : expectedY, y);
        Close.Within1e5($"{what} Y_h", expected[1], hT);
        if (spec.Lstm)
            Close.Within1e5($"{what} Y_c", expected[2], cT);
    }

    /// <summary>[a, b, k] as [b, a, k]: batch-major states, x and y as time-major ones (and back).</summary>
    private static float[] SwapLeadingDimensions(float[] values, int a, int b, int h)
    {
        float[] result = new float[values.Length];
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++)
                values.AsSpan((i * b + j) * h, h).CopyTo(result.AsSpan((j * a + i) * h, h));
        return result;
    }
}
