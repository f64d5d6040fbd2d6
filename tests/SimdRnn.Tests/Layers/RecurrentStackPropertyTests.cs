using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SimdRnn.Reference;
using SimdRnn.Tests.Support;
using static SimdRnn.Tests.Layers.StackChecks;

namespace SimdRnn.Tests.Layers;

public sealed record StackCase(CellKind Cell, int Layers, bool Bidirectional, int T, int N, int I, int H, int Seed, SimdPath Path, bool Bias = true,
    bool BatchFirst = false, float Dropout = 0, ulong DropoutSeed = 0, bool LinearBeforeReset = true, int Projection = 0)
{
    public override string ToString() =>
        $"{Cell} {Path} layers={Layers} bidirectional={Bidirectional} T={T} N={N} I={I} H={H} bias={Bias} batchFirst={BatchFirst} " +
        $"dropout={Dropout} seed={DropoutSeed}" + (LinearBeforeReset ? "" : " linearBeforeReset=false") + $" projection={Projection}";

    public RecurrentStackOptions Options =>
        new() { Bias = Bias, BatchFirst = BatchFirst, Dropout = Dropout, LinearBeforeReset = LinearBeforeReset, ProjectionSize = Projection };

    /// <summary>The width of h0, hT and a direction's output: the projection's P, else H.</summary>
    public int S => Projection > 0 ? Projection : H;

    public ReferenceRnn Reference(bool withDropout = true) =>
        new((ReferenceCellKind)(int)Cell, I, H, Layers, Bidirectional, Bias, BatchFirst, withDropout ? Dropout : 0, LinearBeforeReset, Projection);
}

public static class StackArbitraries
{
    /// <summary>Every cell kind, and the GRU in both forms (r after or before the recurrent product), equally often.</summary>
    public static readonly (CellKind Cell, bool LinearBeforeReset)[] CellForms =
        [.. Enum.GetValues<CellKind>().Select(cell => (cell, true)), (CellKind.Gru, false)];

    public static Arbitrary<StackCase> Case() =>
        (from form in Gen.Elements(CellForms)
         from layers in Gen.Choose(1, 3)
         from bidirectional in Gen.Elements(false, true)
         from t in Gen.Choose(1, 5)
         from n in Gen.OneOf(Gen.Choose(1, 5), Gen.Elements(1, 9))
         from i in Gen.OneOf(Gen.Choose(1, 19), Gen.Elements(1, 16, 17))
         from h in Gen.OneOf(Gen.Choose(1, 19), Gen.Elements(1, 8, 17))
         from seed in Gen.Choose(0, int.MaxValue)
         from path in Gen.Elements(TestPaths.InProcess.ToArray())
         from bias in Gen.Elements(true, true, false)
         from batchFirst in Gen.Elements(false, true)
         from dropout in Gen.Elements(0f, 0f, 0.25f, 0.6f)
         from dropoutSeed in Gen.Choose(0, int.MaxValue)
         // An LSTM projection (P in [1, H-1]) in about half the LSTM cases.
         from projection in form.Cell == CellKind.Lstm && h >= 2 ? Gen.OneOf(Gen.Constant(0), Gen.Choose(1, h - 1)) : Gen.Constant(0)
         select new StackCase(form.Cell, layers, bidirectional, t, n, i, h, seed, path, bias, batchFirst, dropout,
             (ulong)dropoutSeed * 0x9E3779B97F4A7C15UL, form.LinearBeforeReset, projection)).ToArbitrary();
}

/// <summary>
/// The public stack (multi-layer, bidirectional) on every in-process path against the double-precision reference,
/// truncated BPTT by chunks, and the thread-count invariance. Stated bound: each value within
/// 2e-4 (1 + max |reference| of its tensor).
/// </summary>
[Trait("Category", "Kernel")]
public class RecurrentStackPropertyTests
{
    [Property(Arbitrary = [typeof(StackArbitraries)], MaxTest = 40)]
    public void Stack_forward_and_backward_match_the_reference_on_every_path(StackCase c)
    {
        var random = new Random(c.Seed);
        ReferenceRnn reference = c.Reference();
        Dictionary<string, double[]> weights = reference.RandomParameters(random);
        var stack = new RecurrentStack(c.Cell, c.I, c.H, c.Layers, c.Bidirectional, c.Options) { Path = c.Path };
        RecurrentParameters parameters = stack.CreateParameters();
        Assert.Equal(weights.Keys.Order(StringComparer.Ordinal), parameters.Names.Order(StringComparer.Ordinal));
        foreach (string name in parameters.Names) ToFloat(weights[name]).CopyTo(parameters[name]);

        bool lstm = c.Cell == CellKind.Lstm;
        int states = c.Layers * stack.Directions * c.N * c.S, cells = c.Layers * stack.Directions * c.N * c.H, outputs = c.T * c.N * stack.Directions * c.S;
        double[] x = ReferenceRnn.RandomFloats(random, c.T * c.N * c.I, 1), h0 = ReferenceRnn.RandomFloats(random, states, 1);
        double[] c0 = ReferenceRnn.RandomFloats(random, cells, 1), dy = ReferenceRnn.RandomFloats(random, outputs, 1);
        double[] dhT = ReferenceRnn.RandomFloats(random, states, 1), dcT = ReferenceRnn.RandomFloats(random, cells, 1);

        var y = new Guarded(outputs);
        var hT = new Guarded(states);
        var cT = new Guarded(lstm ? cells : 0);
        var workspace = new float[stack.WorkspaceLength(c.T, c.N)];
        stack.Forward(c.T, c.N, ToFloat(x), ToFloat(h0), lstm ? ToFloat(c0) : [], parameters, y.Span, hT.Span, cT.Span, workspace, training: true,
            dropoutSeed: c.DropoutSeed);
        ReferenceRnn.ForwardResult expected = reference.Forward(c.T, c.N, x, h0, lstm ? c0 : null, weights, c.DropoutSeed);
        AssertClose(expected.Y, y.ToArray(), "y");
        AssertClose(expected.HT, hT.ToArray(), "hT");
        if (lstm) AssertClose(expected.CT!, cT.ToArray(), "cT");

        // Inference runs in its own, smaller workspace (NaN-filled: nothing may be read before it is written) and gives
        // bitwise the training forward's results; with dropout, those of the reference without it (inference ignores it).
        long inferenceLength = stack.WorkspaceLength(c.T, c.N, training: false);
        Assert.True(inferenceLength < workspace.Length, $"inference workspace {inferenceLength} vs training {workspace.Length}");
        var inferenceWorkspace = new Guarded((int)inferenceLength);
        var (yInference, hInference, cInference) = (new float[outputs], new float[states], new float[lstm ? cells : 0]);
        stack.Forward(c.T, c.N, ToFloat(x), ToFloat(h0), lstm ? ToFloat(c0) : [], parameters, yInference, hInference, cInference,
            inferenceWorkspace.Span, training: false);
        inferenceWorkspace.AssertGuardsIntact();
        AssertInferenceAgrees(c, () => c.Reference(withDropout: false).Forward(c.T, c.N, x, h0, lstm ? c0 : null, weights),
            y.ToArray(), hT.ToArray(), cT.ToArray(), yInference, hInference, cInference);

        RecurrentParameters gradients = stack.CreateParameters();
        var dx = new Guarded(c.T * c.N * c.I);
        var dh0 = new Guarded(states);
        var dc0 = new Guarded(lstm ? cells : 0);
        stack.Backward(c.T, c.N, ToFloat(x), ToFloat(h0), parameters, y.ToArray(), ToFloat(dy), ToFloat(dhT), lstm ? ToFloat(dcT) : [],
            dx.Span, dh0.Span, dc0.Span, gradients, workspace);
        foreach (Guarded output in new[] { y, hT, cT, dx, dh0, dc0 }) output.AssertGuardsIntact();
        AssertGradientsClose(reference.Backward(c.T, c.N, x, h0, lstm ? c0 : null, weights, dy, dhT, lstm ? dcT : null, c.DropoutSeed),
            dx.ToArray(), dh0.ToArray(), dc0.ToArray(), gradients);
    }

    /// <summary>
    /// Truncated BPTT: a sequence run in chunks of k steps, each chunk starting from the state the previous one ended
    /// in, gives bitwise the outputs and final state of one whole forward; each chunk's backward (gradient cut at its
    /// end: dhT = dcT = 0 there) equals the reference's backward over that chunk alone.
    /// </summary>
    [Theory]
    [InlineData(CellKind.Lstm, 1)]
    [InlineData(CellKind.Lstm, 4)]
    [InlineData(CellKind.Gru, 5)]
    [InlineData(CellKind.RnnTanh, 3)]
    public void Chunked_forward_is_bitwise_the_whole_forward_and_chunk_gradients_are_cut_at_the_borders(CellKind cell, int chunk)
    {
        const int steps = 11, batch = 3, input = 5, hidden = 17, layers = 2;
        var random = new Random(chunk);
        var reference = new ReferenceRnn((ReferenceCellKind)(int)cell, input, hidden, layers);
        Dictionary<string, double[]> weights = reference.RandomParameters(random);
        var stack = new RecurrentStack(cell, input, hidden, layers);
        RecurrentParameters parameters = stack.CreateParameters();
        foreach (string name in parameters.Names) ToFloat(weights[name]).CopyTo(parameters[name]);
        bool lstm = cell == CellKind.Lstm;
        int state = layers * batch * hidden, perStepIn = batch * input, perStepOut = batch * hidden;
        float[] x = ToFloat(ReferenceRnn.RandomFloats(random, steps * perStepIn, 1)), h0 = ToFloat(ReferenceRnn.RandomFloats(random, state, 1));
        float[] c0 = lstm ? ToFloat(ReferenceRnn.RandomFloats(random, state, 1)) : [];
        float[] dy = ToFloat(ReferenceRnn.RandomFloats(random, steps * perStepOut, 1));

        float[] yWhole = new float[steps * perStepOut], hWhole = new float[state], cWhole = new float[c0.Length];
        stack.Forward(steps, batch, x, h0, c0, parameters, yWhole, hWhole, cWhole, new float[stack.WorkspaceLength(steps, batch)], training: false);

        float[] yChunked = new float[yWhole.Length], h = (float[])h0.Clone(), cState = (float[])c0.Clone();
        for (int start = 0; start < steps; start += chunk)
        {
            int length = Math.Min(chunk, steps - start);
            float[] chunkX = x.AsSpan(start * perStepIn, length * perStepIn).ToArray(), chunkY = new float[length * perStepOut];
            float[] hNext = new float[state], cNext = new float[c0.Length];
            var workspace = new float[stack.WorkspaceLength(length, batch)];
            stack.Forward(length, batch, chunkX, h, cState, parameters, chunkY, hNext, cNext, workspace, training: true);
            chunkY.CopyTo(yChunked.AsSpan(start * perStepOut));

            RecurrentParameters gradients = stack.CreateParameters();
            float[] chunkDy = dy.AsSpan(start * perStepOut, length * perStepOut).ToArray();
            float[] dx = new float[chunkX.Length], dh0 = new float[state], dc0 = new float[c0.Length];
            stack.Backward(length, batch, chunkX, h, parameters, chunkY, chunkDy, new float[state], new float[c0.Length], dx, dh0, dc0, gradients, workspace);
            ReferenceRnn.Gradients expected = reference.Backward(length, batch, ToDouble(chunkX), ToDouble(h), lstm ? ToDouble(cState) : null, weights,
                ToDouble(chunkDy), new double[state], lstm ? new double[state] : null);
            AssertClose(expected.Dx, dx, "dx");
            AssertClose(expected.Dh0, dh0, "dh0");
            foreach (string name in parameters.Names) AssertClose(expected.Parameters[name], gradients[name].ToArray(), "d" + name);

            h = hNext;
            cState = cNext;
        }

        Assert.Equal(Bits(yWhole), Bits(yChunked));
        Assert.Equal(Bits(hWhole), Bits(h));
        Assert.Equal(Bits(cWhole), Bits(cState));
    }

    /// <summary>
    /// Sizes large enough that the step products and the cell passes (rows x H >= 2 x 8192) split across threads: the
    /// results do not depend on the thread count, with dropout between the layers as without.
    /// </summary>
    [Theory]
    [InlineData(CellKind.Lstm, 0f, true)]
    [InlineData(CellKind.Gru, 0f, true)]
    [InlineData(CellKind.Gru, 0f, false)]
    [InlineData(CellKind.RnnTanh, 0f, true)]
    [InlineData(CellKind.Lstm, 0.3f, true)]
    [InlineData(CellKind.Gru, 0.6f, true)]
    [InlineData(CellKind.Gru, 0.6f, false)]
    public void Results_are_bitwise_the_same_for_any_thread_count(CellKind cell, float dropout, bool linearBeforeReset)
    {
        const int steps = 3, batch = 129, input = 70, hidden = 130;
        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 3, 7 })
        {
            var stack = new RecurrentStack(cell, input, hidden, layers: 2, bidirectional: true,
                new RecurrentStackOptions { Dropout = dropout, LinearBeforeReset = linearBeforeReset })
            {
                MaxDegreeOfParallelism = threads,
            };
            RecurrentParameters parameters = stack.CreateParameters(), gradients = stack.CreateParameters();
            var random = new Random(5);
            for (int i = 0; i < parameters.All.Length; i++) parameters.All[i] = (random.NextSingle() - 0.5f) * 0.2f;
            int states = 4 * batch * hidden, outputs = steps * batch * 2 * hidden;
            bool lstm = cell == CellKind.Lstm;
            float[] x = Enumerable.Range(0, steps * batch * input).Select(i => MathF.Sin(i)).ToArray();
            float[] h0 = new float[states], c0 = new float[lstm ? states : 0], y = new float[outputs], hT = new float[states], cT = new float[c0.Length];
            float[] dy = Enumerable.Range(0, outputs).Select(i => MathF.Cos(i)).ToArray(), dx = new float[x.Length];
            var workspace = new float[stack.WorkspaceLength(steps, batch)];
            stack.Forward(steps, batch, x, h0, c0, parameters, y, hT, cT, workspace, training: true, dropoutSeed: 0xABCDEF);
            stack.Backward(steps, batch, x, h0, parameters, y, dy, hT, cT, dx, new float[states], new float[c0.Length], gradients, workspace);
            float[] all = [.. y, .. hT, .. cT, .. dx, .. gradients.All];
            if (first is null) first = all;
            else Assert.True(Bits(first).SequenceEqual(Bits(all)), $"{cell}: {threads} threads differ from 1");
        }
    }

    /// <summary>
    /// Dropout = 0 is no dropout, bitwise, whatever the seed (PyTorch's default): every output, state and gradient of a
    /// training forward and backward, dense and with variable lengths, on every path.
    /// </summary>
    [Theory, MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    public void Dropout_zero_is_bitwise_no_dropout(SimdPath path)
    {
        const int steps = 5, batch = 3, input = 4, hidden = 6;
        foreach (CellKind cell in Enum.GetValues<CellKind>())
            foreach (int[] lengths in new[] { Array.Empty<int>(), [5, 2, 4] })
            {
                float[] Run(RecurrentStackOptions? options, ulong seed)
                {
                    var stack = new RecurrentStack(cell, input, hidden, layers: 3, bidirectional: true, options) { Path = path };
                    RecurrentParameters parameters = stack.CreateParameters(), gradients = stack.CreateParameters();
                    for (int i = 0; i < parameters.All.Length; i++) parameters.All[i] = MathF.Sin(0.7f * i) * 0.4f;
                    bool lstm = cell == CellKind.Lstm;
                    int states = 6 * batch * hidden, outputs = steps * batch * 2 * hidden;
                    float[] x = [.. Enumerable.Range(0, steps * batch * input).Select(i => MathF.Cos(i))], h0 = new float[states];
                    float[] c0 = new float[lstm ? states : 0], y = new float[outputs], hT = new float[states], cT = new float[c0.Length];
                    float[] dy = [.. Enumerable.Range(0, outputs).Select(i => MathF.Sin(3 * i))], dx = new float[x.Length];
                    float[] dh0 = new float[states], dc0 = new float[c0.Length];
                    var workspace = new float[stack.WorkspaceLength(steps, batch, training: true, variableLengths: lengths.Length > 0)];
                    stack.Forward(steps, batch, x, h0, c0, parameters, y, hT, cT, workspace, training: true, lengths, seed);
                    stack.Backward(steps, batch, x, h0, parameters, y, dy, hT, cT, dx, dh0, dc0, gradients, workspace, lengths);
                    return [.. y, .. hT, .. cT, .. dx, .. dh0, .. dc0, .. gradients.All];
                }

                int[] without = Bits(Run(null, 0));
                Assert.Equal(without, Bits(Run(new RecurrentStackOptions { Dropout = 0 }, 12345)));
                // A positive p changes them (so the comparison above could fail).
                Assert.NotEqual(without, Bits(Run(new RecurrentStackOptions { Dropout = 0.5f }, 12345)));
            }
    }

    /// <summary>An empty dx skips the input gradient only: every other result is bitwise the same.</summary>
    [Theory]
    [InlineData(CellKind.Lstm, true)]
    [InlineData(CellKind.Gru, true)]
    [InlineData(CellKind.Gru, false)]
    public void Empty_dx_skips_the_input_gradient_and_changes_nothing_else(CellKind cell, bool linearBeforeReset)
    {
        const int steps = 4, batch = 3, input = 6, hidden = 5;
        var stack = new RecurrentStack(cell, input, hidden, layers: 2, bidirectional: true, new() { LinearBeforeReset = linearBeforeReset });
        RecurrentParameters parameters = stack.CreateParameters();
        for (int i = 0; i < parameters.All.Length; i++) parameters.All[i] = MathF.Sin(i) * 0.4f;
        bool lstm = cell == CellKind.Lstm;
        int states = 4 * batch * hidden, outputs = steps * batch * 2 * hidden;
        float[] x = Enumerable.Range(0, steps * batch * input).Select(i => MathF.Cos(i)).ToArray(), h0 = new float[states], c0 = new float[lstm ? states : 0];
        float[] dy = Enumerable.Range(0, outputs).Select(i => MathF.Sin(3 * i)).ToArray();
        float[] Run(bool withDx)
        {
            float[] y = new float[outputs], hT = new float[states], cT = new float[c0.Length], dh0 = new float[states], dc0 = new float[c0.Length];
            var workspace = new float[stack.WorkspaceLength(steps, batch)];
            RecurrentParameters gradients = stack.CreateParameters();
            stack.Forward(steps, batch, x, h0, c0, parameters, y, hT, cT, workspace, training: true);
            stack.Backward(steps, batch, x, h0, parameters, y, dy, hT, cT, withDx ? new float[x.Length] : [], dh0, dc0, gradients, workspace);
            return [.. dh0, .. dc0, .. gradients.All];
        }

        Assert.Equal(Bits(Run(withDx: true)), Bits(Run(withDx: false)));
    }

    private static double[] ToDouble(float[] values) => values.Select(v => (double)v).ToArray();
}
