using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Layers;

/// <summary>
/// The public stack against PyTorch (float64 fixtures: every cell kind, stacks, bidirectional, packed sequences): outputs, final states
/// and every gradient. Stated bound: each value within 1e-4 (1 + max |torch value| of its tensor).
/// </summary>
public class RecurrentStackTests
{
    public static TheoryData<string> Cases() => new(TorchFixture.Cases);

    private static CellKind KindOf(string cell) => cell switch
    {
        "lstm" => CellKind.Lstm,
        "gru" => CellKind.Gru,
        "rnn_tanh" => CellKind.RnnTanh,
        _ => CellKind.RnnRelu,
    };

    [Theory, MemberData(nameof(Cases))]
    [Trait("Category", "Kernel")]
    public void Stack_matches_pytorch_outputs_states_and_every_gradient(string caseName)
    {
        TorchFixture f = TorchFixture.Load(caseName);
        var stack = new RecurrentStack(KindOf(f.Cell), f.I, f.H, f.Layers, f.Bidirectional, OptionsOf(f));
        RecurrentParameters parameters = stack.CreateParameters();
        Assert.Equal(f.TensorNames.Where(n => n.StartsWith("weight_", StringComparison.Ordinal) || n.StartsWith("bias_", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal), parameters.Names.Order(StringComparer.Ordinal));
        foreach (string name in parameters.Names) f.Float(name).CopyTo(parameters[name]);
        bool lstm = stack.Cell == CellKind.Lstm;
        int states = f.Layers * f.Directions * f.N * f.S, cells = f.Layers * f.Directions * f.N * f.H;
        float[] x = f.Float("x"), h0 = f.Float("h0"), c0 = lstm ? f.Float("c0") : [];
        var y = new float[f.T * f.N * f.Directions * f.S];
        var hT = new float[states];
        var cT = new float[lstm ? cells : 0];
        int[] lengths = f.Lengths ?? [];
        var workspace = new float[stack.WorkspaceLength(f.T, f.N, training: true, variableLengths: f.Lengths is not null)];
        stack.Forward(f.T, f.N, x, h0, c0, parameters, y, hT, cT, workspace, training: true, lengths, f.DropoutSeed);
        AssertClose(f.Double("y"), y, "y");
        AssertClose(f.Double("hT"), hT, "hT");
        if (lstm) AssertClose(f.Double("cT"), cT, "cT");

        RecurrentParameters gradients = stack.CreateParameters();
        var dx = new float[x.Length];
        var dh0 = new float[states];
        var dc0 = new float[lstm ? cells : 0];
        stack.Backward(f.T, f.N, x, h0, parameters, y, f.Float("dy"), f.Float("dhT"), lstm ? f.Float("dcT") : [], dx, dh0, dc0, gradients, workspace,
            lengths);
        AssertClose(f.Double("grad.x"), dx, "grad.x");
        AssertClose(f.Double("grad.h0"), dh0, "grad.h0");
        if (lstm) AssertClose(f.Double("grad.c0"), dc0, "grad.c0");
        foreach (string name in parameters.Names)
            AssertClose(f.Double("grad." + name), gradients[name].ToArray(), "grad." + name);

        // Backward adds into the gradients: a second forward and backward doubles them.
        float[] once = (float[])gradients.All.Clone();
        stack.Forward(f.T, f.N, x, h0, c0, parameters, y, hT, cT, workspace, training: true, lengths, f.DropoutSeed);
        stack.Backward(f.T, f.N, x, h0, parameters, y, f.Float("dy"), f.Float("dhT"), lstm ? f.Float("dcT") : [], dx, dh0, dc0, gradients, workspace,
            lengths);
        for (int i = 0; i < once.Length; i++) Assert.Equal(2 * once[i], gradients.All[i], 1e-5f * (1 + Math.Abs(once[i])));

        // Inference gives the training outputs; with dropout (which inference ignores) others.
        var yInference = new float[y.Length];
        stack.Forward(f.T, f.N, x, h0, c0, parameters, yInference, new float[states], new float[cT.Length], workspace, training: false, lengths);
        if (f.Dropout == 0) Assert.Equal(y, yInference);
        else Assert.NotEqual(y, yInference);

        // Prepared weights: bitwise the same forward and backward.
        PreparedWeights prepared = stack.Prepare(parameters, training: true);
        RecurrentParameters preparedGradients = stack.CreateParameters();
        var (yPrepared, dxPrepared) = (new float[y.Length], new float[dx.Length]);
        stack.Forward(f.T, f.N, x, h0, c0, prepared, yPrepared, hT, cT, workspace, training: true, lengths, f.DropoutSeed);
        stack.Backward(f.T, f.N, x, h0, prepared, yPrepared, f.Float("dy"), f.Float("dhT"), lstm ? f.Float("dcT") : [], dxPrepared, dh0, dc0,
            preparedGradients, workspace, lengths);
        Assert.Equal(y, yPrepared);
        Assert.Equal(dx, dxPrepared);
        Assert.Equal(once, preparedGradients.All);
    }

    private static RecurrentStackOptions OptionsOf(TorchFixture f) =>
        new() { Bias = f.Bias, BatchFirst = f.BatchFirst, Dropout = (float)f.Dropout, ProjectionSize = f.ProjectionSize };

    [Theory]
    [InlineData(CellKind.Lstm, 0f, true)]
    [InlineData(CellKind.Lstm, 0.5f, true)]
    [InlineData(CellKind.Gru, 0f, false)]
    [InlineData(CellKind.Gru, 0.5f, false)]
    public void Forward_and_backward_allocate_nothing_after_the_first_call(CellKind cell, float dropout, bool linearBeforeReset)
    {
        var stack = new RecurrentStack(cell, 7, 9, layers: 2, bidirectional: true,
            new RecurrentStackOptions { Dropout = dropout, LinearBeforeReset = linearBeforeReset });
        RecurrentParameters parameters = stack.CreateParameters(), gradients = stack.CreateParameters();
        new Random(3).NextBytes(new byte[1]);
        for (int i = 0; i < parameters.All.Length; i++) parameters.All[i] = (i % 13 - 6) * 0.05f;
        const int steps = 5, batch = 3;
        int states = 4 * batch * 9;
        float[] x = new float[steps * batch * 7], y = new float[steps * batch * 18], dy = new float[y.Length], dx = new float[x.Length];
        float[] h0 = new float[states], c0 = new float[states], hT = new float[states], cT = new float[states], dh0 = new float[states], dc0 = new float[states];
        var workspace = new float[stack.WorkspaceLength(steps, batch)];
        void Run()
        {
            stack.Forward(steps, batch, x, h0, c0, parameters, y, hT, cT, workspace, training: true, dropoutSeed: 99);
            stack.Backward(steps, batch, x, h0, parameters, y, dy, hT, cT, dx, dh0, dc0, gradients, workspace);
        }

        Allocations.AssertNothingOnceWarm(Run, $"{cell} (linearBeforeReset={linearBeforeReset}) stack forward and backward, dropout {dropout}");
    }

    /// <summary>
    /// A stack without cell states ignores c0, cT, dcT and dc0, empty or not: they are neither read nor written, so they may
    /// even be the outputs' own memory (an LSTM would refuse that overlap), and the results are those of the call with empty spans.
    /// </summary>
    [Theory]
    [InlineData(CellKind.Gru, false)]
    [InlineData(CellKind.RnnTanh, true)]
    public void Stacks_without_cell_states_ignore_c0_cT_dcT_and_dc0(CellKind cell, bool variableLengths)
    {
        const int steps = 4, batch = 3, input = 3, hidden = 4;
        var stack = new RecurrentStack(cell, input, hidden, layers: 2, bidirectional: true);
        var random = new Random(5);
        float[] Values(int count) => Enumerable.Range(0, count).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        RecurrentParameters parameters = stack.CreateParameters();
        Values(parameters.All.Length).CopyTo(parameters.All);
        int states = 2 * 2 * batch * hidden, outputs = steps * batch * 2 * hidden;
        float[] x = Values(steps * batch * input), h0 = Values(states), dy = Values(outputs), dhT = Values(states);
        int[] lengths = variableLengths ? [4, 2, 3] : [];
        var workspace = new float[stack.WorkspaceLength(steps, batch, training: true, variableLengths: variableLengths)];

        float[][] Run(bool aliased)
        {
            float[] y = new float[outputs], hT = new float[states], dx = new float[x.Length], dh0 = new float[states];
            RecurrentParameters gradients = stack.CreateParameters();
            // Aliased: c0 and cT are y itself, dcT and dc0 are dx itself.
            stack.Forward(steps, batch, x, h0, aliased ? y : [], parameters, y, hT, aliased ? y : [], workspace, training: true, lengths);
            stack.Backward(steps, batch, x, h0, parameters, y, dy, dhT, aliased ? dx : [], dx, dh0, aliased ? dx : [], gradients, workspace, lengths);
            return [y, hT, dx, dh0, gradients.All.ToArray()];
        }

        float[][] expected = Run(aliased: false), actual = Run(aliased: true);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]);
    }

    /// <summary>The options default to PyTorch's (bias, time-major, no projection, no dropout, b_hn inside r), with or without an options object.</summary>
    [Fact]
    public void Options_default_to_pytorchs()
    {
        var options = new RecurrentStackOptions();
        Assert.Equal((true, false, 0, 0f, true), (options.Bias, options.BatchFirst, options.ProjectionSize, options.Dropout, options.LinearBeforeReset));
        foreach (RecurrentStack stack in new[] { new RecurrentStack(CellKind.Gru, 2, 3), new RecurrentStack(CellKind.Gru, 2, 3, options: options) })
            Assert.Equal((true, false, 0, 0f, true), (stack.Bias, stack.BatchFirst, stack.ProjectionSize, stack.Dropout, stack.LinearBeforeReset));
        // Every processor unless told otherwise (the documented default of a property no constructor argument sets).
        Assert.Equal(-1, new RecurrentStack(CellKind.Lstm, 2, 3).MaxDegreeOfParallelism);
        // Zero and the largest float below 1 are probabilities; -0 is zero.
        Assert.Equal(0f, new RecurrentStackOptions { Dropout = 0f }.Dropout);
        Assert.Equal(0.5f, new RecurrentStackOptions { Dropout = 0.5f }.Dropout);
        Assert.Equal(0f, new RecurrentStackOptions { Dropout = -0f }.Dropout);
        foreach (float p in new[] { -float.Epsilon, float.PositiveInfinity, float.NegativeInfinity, 1.5f })
            Assert.Equal("Dropout", Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentStackOptions { Dropout = p }).ParamName);
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(-0.25f)]
    [InlineData(float.NaN)]
    public void Dropout_outside_zero_to_one_is_refused_with_the_value(float p)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentStackOptions { Dropout = p });
        Assert.Equal("Dropout", e.ParamName);
        Assert.Equal(p, e.ActualValue);
        Assert.Contains("must be in [0, 1)", e.Message);
        // The largest float below 1 is a valid probability (its threshold p * 2^32 still fits the mask's 32 bits).
        Assert.Equal(MathF.BitDecrement(1f), new RecurrentStackOptions { Dropout = MathF.BitDecrement(1f) }.Dropout);
    }

    [Fact]
    public void Bad_shapes_throw_naming_the_argument_and_sizes()
    {
        var stack = new RecurrentStack(CellKind.Gru, 4, 3);
        RecurrentParameters parameters = stack.CreateParameters();
        var workspace = new float[stack.WorkspaceLength(2, 2)];
        float[] h = new float[6], y = new float[12];
        var error = Assert.Throws<ArgumentException>(() => stack.Forward(2, 2, new float[15], h, [], parameters, y, new float[6], [], workspace, true));
        Assert.Equal("x", error.ParamName);
        Assert.Contains("15", error.Message);
        Assert.Contains("16", error.Message);
        Assert.Equal("workspace", Assert.Throws<ArgumentException>(() => stack.Forward(2, 2, new float[16], h, [], parameters, y, new float[6], [], new float[5], true)).ParamName);
        Assert.Equal("parameters", Assert.Throws<ArgumentException>(() => stack.Forward(2, 2, new float[16], h, [], new RecurrentStack(CellKind.Lstm, 4, 3).CreateParameters(), y, new float[6], [], workspace, true)).ParamName);
        Assert.Equal("steps", Assert.Throws<ArgumentOutOfRangeException>(() => stack.Forward(0, 2, new float[16], h, [], parameters, y, new float[6], [], workspace, true)).ParamName);
        Assert.Equal("hiddenSize", Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentStack(CellKind.Lstm, 4, 0)).ParamName);
        Assert.Equal("hT", Assert.Throws<ArgumentException>(() => stack.Forward(2, 2, new float[16], h, [], parameters, y, new float[5], [], workspace, true)).ParamName);
    }

    /// <summary>
    /// Parameters that differ from the stack in any one of cell, sizes, layers, directions, biases or projection are
    /// refused, the message describing both; so are weights packed for the other GRU form, and a short workspace, whose
    /// message says which kind of call needs how much.
    /// </summary>
    [Fact]
    public void Mismatches_are_refused_with_messages_describing_both_sides()
    {
        var stack = new RecurrentStack(CellKind.Lstm, 4, 3, layers: 2, bidirectional: true);
        const string Stack = "Lstm I=4 H=3 layers=2 directions=2 bias=True projection P=0";
        foreach ((RecurrentParameters other, string described) in new[]
        {
            (new RecurrentParameters(CellKind.Gru, 4, 3, 2, bidirectional: true), "Gru I=4 H=3 layers=2 directions=2 bias=True projection P=0"),
            (new RecurrentParameters(CellKind.Lstm, 5, 3, 2, bidirectional: true), "Lstm I=5 H=3 layers=2 directions=2 bias=True projection P=0"),
            (new RecurrentParameters(CellKind.Lstm, 4, 4, 2, bidirectional: true), "Lstm I=4 H=4 layers=2 directions=2 bias=True projection P=0"),
            (new RecurrentParameters(CellKind.Lstm, 4, 3, 1, bidirectional: true), "Lstm I=4 H=3 layers=1 directions=2 bias=True projection P=0"),
            (new RecurrentParameters(CellKind.Lstm, 4, 3, 2, bidirectional: false), "Lstm I=4 H=3 layers=2 directions=1 bias=True projection P=0"),
            (new RecurrentParameters(CellKind.Lstm, 4, 3, 2, bidirectional: true, bias: false), "Lstm I=4 H=3 layers=2 directions=2 bias=False projection P=0"),
            (new RecurrentParameters(CellKind.Lstm, 4, 3, 2, bidirectional: true, projectionSize: 2), "Lstm I=4 H=3 layers=2 directions=2 bias=True projection P=2"),
        })
        {
            var error = Assert.Throws<ArgumentException>(() => stack.Prepare(other));
            Assert.Equal("parameters", error.ParamName);
            Assert.StartsWith($"parameters are for {described}, but the stack is {Stack}.", error.Message);
        }

        // The GRU's two forms share their tensors but not their packed weights.
        var resetFirst = new RecurrentStack(CellKind.Gru, 3, 4, options: new() { LinearBeforeReset = false });
        PreparedWeights weights = resetFirst.Prepare(resetFirst.CreateParameters());
        var gru = new RecurrentStack(CellKind.Gru, 3, 4);
        var inference = new float[gru.WorkspaceLength(1, 1, training: false, preparedWeights: true)];
        var form = Assert.Throws<ArgumentException>(() =>
            gru.Forward(1, 1, new float[3], new float[4], [], weights, new float[4], new float[4], [], inference, training: false));
        Assert.Equal("weights", form.ParamName);
        Assert.StartsWith("weights were packed for a stack with LinearBeforeReset = False, but this one has True.", form.Message);

        // Each kind of call names itself and the length it needs.
        PreparedWeights trained = gru.Prepare(gru.CreateParameters(), training: true);
        float[] x = new float[2 * 2 * 3], h = new float[2 * 4], hT = new float[2 * 4], y = new float[2 * 2 * 4], small = new float[5];
        foreach ((Action call, string kind, long needed) in new (Action, string, long)[]
        {
            (() => gru.Forward(2, 2, x, h, [], gru.CreateParameters(), y, hT, [], small, training: true), "training", gru.WorkspaceLength(2, 2)),
            (() => gru.Forward(2, 2, x, h, [], trained, y, hT, [], small, training: false), "inference with prepared weights",
                gru.WorkspaceLength(2, 2, training: false, preparedWeights: true)),
            (() => gru.Forward(2, 2, x, h, [], trained, y, hT, [], small, training: true, lengths: [2, 1]), "training with prepared weights with variable lengths",
                gru.WorkspaceLength(2, 2, training: true, preparedWeights: true, variableLengths: true)),
        })
        {
            var error = Assert.Throws<ArgumentException>(call);
            Assert.Equal("workspace", error.ParamName);
            Assert.StartsWith($"workspace has 5 floats but T=2, N=2 {kind} needs {needed} (see WorkspaceLength).", error.Message);
        }
    }

    /// <summary>
    /// The cell is checked before the options that depend on it, and the sequence before the lengths that depend on it:
    /// an undefined cell is reported as such even with a projection or the GRU's other form, and zero steps as zero steps
    /// even when lengths are given (every length is then past T).
    /// </summary>
    [Fact]
    public void Arguments_are_checked_before_the_options_and_lengths_that_depend_on_them()
    {
        foreach (RecurrentStackOptions options in new RecurrentStackOptions[] { new() { LinearBeforeReset = false }, new() { ProjectionSize = 1 } })
        {
            var cell = Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentStack((CellKind)7, 2, 3, options: options));
            Assert.Equal(("cell", (object)(CellKind)7), (cell.ParamName, cell.ActualValue));
        }
        var parameters = Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentParameters((CellKind)7, 2, 3, projectionSize: 1));
        Assert.Equal("cell", parameters.ParamName);

        var stack = new RecurrentStack(CellKind.RnnTanh, 2, 3);
        var steps = Assert.Throws<ArgumentOutOfRangeException>(() =>
            stack.Forward(0, 2, [], new float[6], [], stack.CreateParameters(), [], new float[6], [], new float[1000], training: false, lengths: [1, 1]));
        Assert.Equal(("steps", (object)0), (steps.ParamName, steps.ActualValue));
    }

    /// <summary>
    /// T x N rows of the widest tensor must fit one span: the widest row is the gates (4 H of an LSTM), the outputs of
    /// both directions (2 H of a bidirectional RNN) or the input (I), and each decides alone. One row past the limit is
    /// refused naming the longer of T and N (T when they are equal) with its value, and the width; exactly int.MaxValue
    /// floats (a span's largest length) is not.
    /// </summary>
    [Fact]
    public void Sequences_whose_widest_rows_exceed_one_span_are_refused()
    {
        foreach ((RecurrentStack stack, long width) in new[]
        {
            (new RecurrentStack(CellKind.Lstm, 1, 1000), 4000L),
            (new RecurrentStack(CellKind.RnnTanh, 1, 1000, bidirectional: true), 2000L),
            (new RecurrentStack(CellKind.RnnTanh, 3000, 1), 3000L),
        })
        {
            const int steps = 1000;
            int batch = (int)(int.MaxValue / (steps * width)) + 1;
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => stack.WorkspaceLength(steps, batch, training: false));
            Assert.Equal(steps >= batch ? ("steps", steps) : ("batch", batch), (error.ParamName, error.ActualValue));
            Assert.Contains($"rows of {width} floats", error.Message);
        }

        // 733 x 733 rows of 4000 floats: T = N.
        var tie = Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentStack(CellKind.Lstm, 1, 1000).WorkspaceLength(733, 733, training: false));
        Assert.Equal(("steps", (object)733), (tie.ParamName, tie.ActualValue));

        Assert.True(new RecurrentStack(CellKind.RnnTanh, int.MaxValue, 1).WorkspaceLength(1, 1, training: false) > 0);
    }

    [Fact]
    public void Nan_in_the_input_propagates_to_the_output()
    {
        var stack = new RecurrentStack(CellKind.Lstm, 3, 4);
        RecurrentParameters parameters = stack.CreateParameters();
        parameters.All.AsSpan().Fill(0.1f);
        float[] x = new float[2 * 1 * 3];
        x[1] = float.NaN;
        var y = new float[8];
        stack.Forward(2, 1, x, new float[4], new float[4], parameters, y, new float[4], new float[4], new float[stack.WorkspaceLength(2, 1)], false);
        Assert.All(y, v => Assert.True(float.IsNaN(v)));
    }

    private static void AssertClose(double[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double bound = 1e-4 * (1 + expected.Select(Math.Abs).DefaultIfEmpty(0).Max());
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= bound, $"{what}[{i}]: {actual[i]:R} vs torch {expected[i]:R}");
    }
}
