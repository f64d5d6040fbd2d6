using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SimdRnn.Layers;
using SimdRnn.Reference;
using SimdRnn.Tests.Support;
using static SimdRnn.Tests.Layers.StackChecks;

namespace SimdRnn.Tests.Layers;

/// <summary>A stack case with a length per batch row, the thread count, the step split and whether the weights are prepared.</summary>
/// <remarks><see cref="Split"/> is a StepSplitRule (internal, so an int here).</remarks>
public sealed record VariableLengthCase(StackCase Stack, int[] Lengths, int Threads, int Split, bool Prepared)
{
    public override string ToString() =>
        $"{Stack} lengths=[{string.Join(",", Lengths)}] threads={Threads} split={(StepSplitRule)Split} prepared={Prepared}";
}

public static class VariableLengthArbitraries
{
    public static Arbitrary<VariableLengthCase> Case() =>
        (from stack in StackArbitraries.Case().Generator
         from t in Gen.Choose(1, 7)
         from lengthSeed in Gen.Choose(0, int.MaxValue)
         from threads in Gen.Choose(1, 2)
         from split in Gen.Choose(0, 2)
         from prepared in Gen.Elements(false, true)
         let random = new Random(lengthSeed)
         // Some rows of the full length T, the others anywhere in [1, T], in any order.
         let lengths = Enumerable.Range(0, stack.N).Select(_ => random.Next(3) == 0 ? t : random.Next(1, t + 1)).ToArray()
         select new VariableLengthCase(stack with { T = t }, lengths, threads, split, prepared)).ToArbitrary();
}

/// <summary>
/// Variable-length batches (PyTorch's packed sequences): the float32 stack against the double reference with the same
/// lengths, padding that cannot change a valid bit, and each row bitwise what it gives alone.
/// </summary>
[Trait("Category", "Kernel")]
public class VariableLengthTests
{
    [Property(Arbitrary = [typeof(VariableLengthArbitraries)], MaxTest = 40)]
    public void Variable_lengths_match_the_reference_on_every_path(VariableLengthCase v)
    {
        StackCase c = v.Stack;
        var random = new Random(c.Seed);
        ReferenceRnn reference = c.Reference();
        Dictionary<string, double[]> weights = reference.RandomParameters(random);
        RecurrentStack stack = Stack(v);
        RecurrentParameters parameters = stack.CreateParameters();
        foreach (string name in parameters.Names) ToFloat(weights[name]).CopyTo(parameters[name]);
        PreparedWeights? prepared = v.Prepared ? stack.Prepare(parameters, training: true) : null;

        bool lstm = c.Cell == CellKind.Lstm;
        int states = c.Layers * stack.Directions * c.N * c.S, cells = c.Layers * stack.Directions * c.N * c.H;
        int width = stack.Directions * c.S, outputs = c.T * c.N * width;
        double[] x = ReferenceRnn.RandomFloats(random, c.T * c.N * c.I, 1), h0 = ReferenceRnn.RandomFloats(random, states, 1);
        double[] c0 = ReferenceRnn.RandomFloats(random, cells, 1), dy = ReferenceRnn.RandomFloats(random, outputs, 1);
        double[] dhT = ReferenceRnn.RandomFloats(random, states, 1), dcT = ReferenceRnn.RandomFloats(random, cells, 1);
        // The stack gets NaN where the reference's padded values are never read either.
        float[] xPadded = Padded(ToFloat(x), v, c.I, float.NaN), dyPadded = Padded(ToFloat(dy), v, width, float.NaN);

        var y = new Guarded(outputs);
        var hT = new Guarded(states);
        var cT = new Guarded(lstm ? cells : 0);
        var workspace = new Guarded((int)stack.WorkspaceLength(c.T, c.N, training: true, v.Prepared, variableLengths: true));
        Forward(stack, parameters, prepared, v, xPadded, ToFloat(h0), lstm ? ToFloat(c0) : [], y.Span, hT.Span, cT.Span, workspace.Span, training: true);
        ReferenceRnn.ForwardResult expected = reference.Forward(c.T, c.N, x, h0, lstm ? c0 : null, weights, c.DropoutSeed, v.Lengths);
        AssertClose(expected.Y, y.ToArray(), "y");
        AssertClose(expected.HT, hT.ToArray(), "hT");
        if (lstm) AssertClose(expected.CT!, cT.ToArray(), "cT");
        AssertPaddingIsZero(y.ToArray(), v, width, "y");

        // Inference, in its own NaN-filled workspace, gives bitwise the training forward's results; with dropout (which
        // inference ignores), the reference's without it.
        var inferenceWorkspace = new Guarded((int)stack.WorkspaceLength(c.T, c.N, training: false, v.Prepared, variableLengths: true));
        var (yInference, hInference, cInference) = (new float[outputs], new float[states], new float[lstm ? cells : 0]);
        Forward(stack, parameters, prepared, v, xPadded, ToFloat(h0), lstm ? ToFloat(c0) : [], yInference, hInference, cInference,
            inferenceWorkspace.Span, training: false);
        inferenceWorkspace.AssertGuardsIntact();
        AssertInferenceAgrees(c, () => c.Reference(withDropout: false).Forward(c.T, c.N, x, h0, lstm ? c0 : null, weights, lengths: v.Lengths),
            y.ToArray(), hT.ToArray(), cT.ToArray(), yInference, hInference, cInference);

        RecurrentParameters gradients = stack.CreateParameters();
        var dx = new Guarded(c.T * c.N * c.I);
        var dh0 = new Guarded(states);
        var dc0 = new Guarded(lstm ? cells : 0);
        Backward(stack, parameters, prepared, v, xPadded, ToFloat(h0), y.ToArray(), dyPadded, ToFloat(dhT), lstm ? ToFloat(dcT) : [],
            dx.Span, dh0.Span, dc0.Span, gradients, workspace.Span);
        foreach (Guarded output in new[] { y, hT, cT, dx, dh0, dc0, workspace }) output.AssertGuardsIntact();
        AssertGradientsClose(reference.Backward(c.T, c.N, x, h0, lstm ? c0 : null, weights, dy, dhT, lstm ? dcT : null, c.DropoutSeed, v.Lengths),
            dx.ToArray(), dh0.ToArray(), dc0.ToArray(), gradients);
        AssertPaddingIsZero(dx.ToArray(), v, c.I, "dx");
    }

    /// <summary>
    /// Whatever the padded positions of x and dy hold (other values, NaN, infinities), every output, state and gradient
    /// is bitwise the same, and the padded positions of y and dx are 0; also for another thread count and step split.
    /// </summary>
    [Property(Arbitrary = [typeof(VariableLengthArbitraries)], MaxTest = 40)]
    public void Padding_never_changes_a_valid_bit(VariableLengthCase v)
    {
        StackCase c = v.Stack;
        var random = new Random(c.Seed);
        int width = (c.Bidirectional ? 2 : 1) * c.S;
        float[] x = Values(random, c.T * c.N * c.I), dy = Values(random, c.T * c.N * width);
        float[] special = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 3e38f, -0f];
        float[] Noise(float[] values, int rowWidth)
        {
            var noisy = (float[])values.Clone();
            for (int i = 0; i < noisy.Length; i++)
                if (IsPadding(i, rowWidth, v)) noisy[i] = special[random.Next(special.Length)];
            return noisy;
        }

        int[] first = Run(v, x, dy);
        var other = v with { Threads = 3 - v.Threads, Split = (int)(v.Split == (int)StepSplitRule.BatchRows ? StepSplitRule.HiddenUnits : StepSplitRule.BatchRows) };
        Assert.Equal(first, Run(other, Noise(x, c.I), Noise(dy, width)));
        Assert.Equal(first, Run(v, Noise(x, c.I), Noise(dy, width)));
    }

    /// <summary>
    /// Each row of a batch with lengths 3, 7, 1, 7, 5 gives bitwise what that row gives alone as a dense sequence of its own
    /// length: outputs, final states, dx, dh0 and dc0 (every cell, 2 bidirectional layers, every path, 1 and 2 threads).
    /// </summary>
    [Theory, MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    public void Each_row_is_bitwise_the_row_computed_alone(SimdPath path)
    {
        int[] lengths = [3, 7, 1, 7, 5];
        const int steps = 7, input = 9, hidden = 24;
        foreach ((CellKind Cell, bool LinearBeforeReset) form in StackArbitraries.CellForms)
            foreach (int threads in new[] { 1, 2 })
            {
                RecurrentStack stack = BidirectionalStack(form, input, hidden, path, threads);
                RecurrentParameters parameters = WavyParameters(stack);
                int batch = lengths.Length, width = 2 * hidden, states = 4;
                float[] x = WavyInputs(steps * batch * input);
                float[] dy = Enumerable.Range(0, steps * batch * width).Select(i => MathF.Sin(0.13f * i)).ToArray();
                float[] h0 = Enumerable.Range(0, states * batch * hidden).Select(i => MathF.Sin(0.7f * i) * 0.5f).ToArray();
                float[] dhT = Enumerable.Range(0, h0.Length).Select(i => MathF.Cos(0.3f * i)).ToArray();
                Result packed = Train(stack, parameters, steps, batch, x, h0, dy, dhT, lengths);
                for (int row = 0; row < batch; row++)
                {
                    int length = lengths[row];
                    float[] Row(float[] tensor, int rowWidth, int rows) =>
                        [.. Enumerable.Range(0, rows).SelectMany(t => tensor.AsSpan((t * batch + row) * rowWidth, rowWidth).ToArray())];
                    float[] State(float[] tensor) => Row(tensor, hidden, states);
                    Result alone = Train(stack, parameters, length, 1, Row(x, input, length), State(h0), Row(dy, width, length), State(dhT), []);
                    string what = $"{Label(stack)} row {row} (length {length})";
                    Assert.True(Bits(alone.Y).SequenceEqual(Bits(Row(packed.Y, width, length))), what + ": y");
                    Assert.True(Bits(alone.Dx).SequenceEqual(Bits(Row(packed.Dx, input, length))), what + ": dx");
                    for (int k = 0; k < 4; k++)
                        Assert.True(Bits(alone.States[k]).SequenceEqual(Bits(Row(packed.States[k], hidden, alone.States[k].Length / hidden))),
                            what + ": " + new[] { "hT", "cT", "dh0", "dc0" }[k]);
                }
            }
    }

    /// <summary>
    /// With dropout, what <see cref="RecurrentStackOptions.Dropout"/> states: a row's mask is keyed on its index in the
    /// caller's batch, never on its place in the packed (length-sorted) layout, so each row of a batch is bitwise the row
    /// at the same index of another batch whose other rows have other values and other lengths (which reorders the
    /// packing) and another size (down to the row being the last); at index 0 also the row alone as a dense sequence of
    /// its own length. Outputs, final states, dx, dh0 and dc0; every cell, 3 bidirectional layers (two masks), every path,
    /// 1 and 2 threads.
    /// </summary>
    [Theory, MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    public void With_dropout_a_row_depends_on_its_index_length_and_the_seed_only(SimdPath path)
    {
        int[] lengths = [3, 7, 1, 7, 5];
        const int steps = 7, input = 9, hidden = 20, layers = 3;
        const ulong seed = 0x5EED_0F_D20F0;
        foreach (CellKind cell in Enum.GetValues<CellKind>())
            foreach (int threads in new[] { 1, 2 })
            {
                var stack = new RecurrentStack(cell, input, hidden, layers, bidirectional: true, new RecurrentStackOptions { Dropout = 0.4f })
                {
                    Path = path, MaxDegreeOfParallelism = threads,
                };
                RecurrentParameters parameters = stack.CreateParameters();
                for (int i = 0; i < parameters.All.Length; i++) parameters.All[i] = MathF.Sin(0.37f * i) * 0.3f;
                int width = 2 * hidden, states = 2 * layers;
                var random = new Random((int)cell * 10 + threads);
                // Row r of the batch: the same values in every batch (a function of r only); the other batches' other rows are random.
                float[] Ours(int r, int rowWidth, int rows, float phase) =>
                    [.. Enumerable.Range(0, rows * rowWidth).Select(i => MathF.Sin(phase * (i + 1) + r))];
                float[] Batch(int batch, Func<int, bool> ours, int rowWidth, int rows, float phase)
                {
                    var tensor = new float[rows * batch * rowWidth];
                    for (int r = 0; r < batch; r++)
                    {
                        float[] values = ours(r) ? Ours(r, rowWidth, rows, phase) : [.. Enumerable.Range(0, rows * rowWidth).Select(_ => random.NextSingle() - 0.5f)];
                        for (int k = 0; k < rows; k++) values.AsSpan(k * rowWidth, rowWidth).CopyTo(tensor.AsSpan((k * batch + r) * rowWidth));
                    }

                    return tensor;
                }

                Result Run(int batch, Func<int, bool> ours, int[] rowLengths) =>
                    Train(stack, parameters, steps, batch, Batch(batch, ours, input, steps, 0.21f), Batch(batch, ours, hidden, states, 0.7f),
                        Batch(batch, ours, width, steps, 0.13f), Batch(batch, ours, hidden, states, 0.3f), rowLengths, seed);

                Result original = Run(lengths.Length, _ => true, lengths);
                int[] Row(float[] tensor, int batch, int row, int rowWidth, int rows) =>
                    Bits([.. Enumerable.Range(0, rows).SelectMany(k => tensor.AsSpan((k * batch + row) * rowWidth, rowWidth).ToArray())]);
                void AssertSameRow(Result other, int otherBatch, int row, int rows, string what)
                {
                    Assert.True(Row(original.Y, lengths.Length, row, width, rows).SequenceEqual(Row(other.Y, otherBatch, row, width, rows)), what + ": y");
                    Assert.True(Row(original.Dx, lengths.Length, row, input, rows).SequenceEqual(Row(other.Dx, otherBatch, row, input, rows)), what + ": dx");
                    for (int k = 0; k < 4; k++)
                        if (original.States[k].Length > 0)
                            Assert.True(Row(original.States[k], lengths.Length, row, hidden, states)
                                .SequenceEqual(Row(other.States[k], otherBatch, row, hidden, states)), what + ": " + new[] { "hT", "cT", "dh0", "dc0" }[k]);
                }

                for (int row = 0; row < lengths.Length; row++)
                {
                    // The row at the same index of a batch of row + 1 rows and of 8 rows, the others random with other lengths.
                    foreach (int batch in new[] { row + 1, 8 })
                    {
                        int[] otherLengths = [.. Enumerable.Range(0, batch).Select(r => r == row ? lengths[row] : 1 + (r * 5 + row + batch) % steps)];
                        int ourRow = row;
                        Result other = Run(batch, r => r == ourRow, otherLengths);
                        AssertSameRow(other, batch, row, steps, $"{cell} {path} {threads} threads row {row} (length {lengths[row]}) in a batch of {batch}");
                    }
                }

                // Index 0 alone, as a dense sequence of its own length.
                int length0 = lengths[0];
                Result alone = Train(stack, parameters, length0, 1, Ours(0, input, length0, 0.21f), Ours(0, hidden, states, 0.7f),
                    Ours(0, width, length0, 0.13f), Ours(0, hidden, states, 0.3f), [], seed);
                AssertSameRow(alone, 1, 0, length0, $"{cell} {path} {threads} threads row 0 alone");
            }
    }

    [Theory]
    [InlineData(CellKind.Lstm, false, true)]
    [InlineData(CellKind.Gru, true, true)]
    [InlineData(CellKind.Gru, false, false)]
    [InlineData(CellKind.Gru, true, false)]
    [InlineData(CellKind.RnnRelu, true, true)]
    public void Warm_variable_length_calls_allocate_nothing(CellKind cell, bool prepare, bool linearBeforeReset)
    {
        const int steps = 6, batch = 4, input = 5, hidden = 16;
        int[] lengths = [6, 2, 5, 3];
        // Dropout on for two of the three (its mask on the packed rows must not allocate either).
        float dropout = cell == CellKind.Lstm ? 0f : 0.3f;
        var stack = new RecurrentStack(cell, input, hidden, layers: 2, bidirectional: true,
            new RecurrentStackOptions { Dropout = dropout, LinearBeforeReset = linearBeforeReset });
        RecurrentParameters parameters = stack.CreateParameters(), gradients = stack.CreateParameters();
        PreparedWeights? prepared = prepare ? stack.Prepare(parameters, training: true) : null;
        int states = 4 * batch * hidden, cells = cell == CellKind.Lstm ? states : 0, outputs = steps * batch * 2 * hidden;
        float[] x = new float[steps * batch * input], h0 = new float[states], c0 = new float[cells], y = new float[outputs], hT = new float[states];
        float[] cT = new float[cells], dy = new float[outputs], dx = new float[x.Length], dh0 = new float[states], dc0 = new float[cells];
        var workspace = new float[stack.WorkspaceLength(steps, batch, training: true, prepare, variableLengths: true)];
        var v = new VariableLengthCase(new StackCase(cell, 2, true, steps, batch, input, hidden, 0, Cpu.Path, Dropout: dropout, DropoutSeed: 7,
            LinearBeforeReset: linearBeforeReset), lengths, 1, (int)StepSplitRule.Auto, prepare);
        Allocations.AssertNothingOnceWarm(() =>
        {
            Forward(stack, parameters, prepared, v, x, h0, c0, y, hT, cT, workspace, training: true);
            Backward(stack, parameters, prepared, v, x, h0, y, dy, hT, cT, dx, dh0, dc0, gradients, workspace);
        }, $"{cell} forward and backward with lengths");
    }

    [Fact]
    public void Invalid_lengths_are_refused_with_the_argument_and_the_values()
    {
        var stack = new RecurrentStack(CellKind.Gru, 2, 3);
        float[] x = new float[4 * 2 * 2], h = new float[2 * 3], y = new float[4 * 2 * 3], hT = new float[h.Length];
        var workspace = new float[stack.WorkspaceLength(4, 2, training: false, variableLengths: true)];
        void Run(int[] lengths) => stack.Forward(4, 2, x, h, [], stack.CreateParameters(), y, hT, [], workspace, training: false, lengths);
        foreach ((int[] lengths, string message) in new[]
                 {
                     (new[] { 4 }, "lengths has 1 entries but the batch has N=2 rows"),
                     (new[] { 4, 0 }, "lengths[1] is 0, but every length must be in [1, T=4]"),
                     (new[] { 5, 2 }, "lengths[0] is 5, but every length must be in [1, T=4]"),
                     (new[] { 1, -3 }, "lengths[1] is -3, but every length must be in [1, T=4]"),
                 })
        {
            y.AsSpan().Fill(7f);
            ArgumentException e = Assert.ThrowsAny<ArgumentException>(() => Run(lengths));
            Assert.Equal("lengths", e.ParamName);
            Assert.Contains(message, e.Message);
            Assert.All(y, v => Assert.Equal(7f, v));
        }

        // A workspace for dense calls is too small for packed ones, and the message says so.
        var dense = new float[stack.WorkspaceLength(4, 2, training: false)];
        ArgumentException small = Assert.Throws<ArgumentException>(() =>
            stack.Forward(4, 2, x, h, [], stack.CreateParameters(), y, hT, [], dense, training: false, [4, 2]));
        Assert.Equal("workspace", small.ParamName);
        Assert.Contains("with variable lengths", small.Message);
    }

    /// <summary>All three tensors' worth of results, as bits, of a training forward and backward.</summary>
    private static int[] Run(VariableLengthCase v, float[] x, float[] dy)
    {
        StackCase c = v.Stack;
        RecurrentStack stack = Stack(v);
        RecurrentParameters parameters = stack.CreateParameters(), gradients = stack.CreateParameters();
        var random = new Random(c.Seed + 1);
        for (int i = 0; i < parameters.All.Length; i++) parameters.All[i] = (random.NextSingle() - 0.5f) * 0.8f;
        PreparedWeights? prepared = v.Prepared ? stack.Prepare(parameters, training: true) : null;
        int states = c.Layers * stack.Directions * c.N * c.S, cells = c.Cell == CellKind.Lstm ? c.Layers * stack.Directions * c.N * c.H : 0;
        float[] h0 = Values(random, states), c0 = Values(random, cells), dhT = Values(random, states), dcT = Values(random, cells);
        float[] y = new float[dy.Length], hT = new float[states], cT = new float[cells], dx = new float[x.Length], dh0 = new float[states];
        float[] dc0 = new float[cells];
        // Outputs start as NaN: the padded positions must be written (with zeros), not left alone.
        y.AsSpan().Fill(float.NaN);
        dx.AsSpan().Fill(float.NaN);
        var workspace = new float[stack.WorkspaceLength(c.T, c.N, training: true, v.Prepared, variableLengths: true)];
        Forward(stack, parameters, prepared, v, x, h0, c0, y, hT, cT, workspace, training: true);
        Backward(stack, parameters, prepared, v, x, h0, y, dy, dhT, dcT, dx, dh0, dc0, gradients, workspace);
        AssertPaddingIsZero(y, v, stack.Directions * c.S, "y");
        AssertPaddingIsZero(dx, v, c.I, "dx");
        return Bits([.. y, .. hT, .. cT, .. dx, .. dh0, .. dc0, .. gradients.All]);
    }

    /// <summary>y and dx, and the states hT, cT, dh0, dc0 ((layers*D) x N x H each; the cell states empty but for LSTM).</summary>
    private sealed record Result(float[] Y, float[] Dx, float[][] States);

    /// <summary>A training forward and backward.</summary>
    private static Result Train(RecurrentStack stack, RecurrentParameters parameters, int steps, int batch, float[] x, float[] h0, float[] dy,
        float[] dhT, int[] lengths, ulong dropoutSeed = 0)
    {
        bool lstm = stack.Cell == CellKind.Lstm;
        float[] c0 = lstm ? h0.Select(v => -v).ToArray() : [], dcT = lstm ? dhT.Select(v => 0.5f * v).ToArray() : [];
        float[] y = new float[dy.Length], hT = new float[h0.Length], cT = new float[c0.Length], dx = new float[x.Length];
        float[] dh0 = new float[h0.Length], dc0 = new float[c0.Length];
        var workspace = new float[stack.WorkspaceLength(steps, batch, training: true, variableLengths: lengths.Length > 0)];
        stack.Forward(steps, batch, x, h0, c0, parameters, y, hT, cT, workspace, training: true, lengths, dropoutSeed);
        stack.Backward(steps, batch, x, h0, parameters, y, dy, dhT, dcT, dx, dh0, dc0, stack.CreateParameters(), workspace, lengths);
        return new Result(y, dx, [hT, cT, dh0, dc0]);
    }

    private static RecurrentStack Stack(VariableLengthCase v) =>
        new(v.Stack.Cell, v.Stack.I, v.Stack.H, v.Stack.Layers, v.Stack.Bidirectional, v.Stack.Options)
        {
            Path = v.Stack.Path, MaxDegreeOfParallelism = v.Threads, StepSplit = (StepSplitRule)v.Split,
        };

    private static void Forward(RecurrentStack stack, RecurrentParameters parameters, PreparedWeights? prepared, VariableLengthCase v,
        float[] x, float[] h0, float[] c0, Span<float> y, Span<float> hT, Span<float> cT, Span<float> workspace, bool training)
    {
        if (prepared is null) stack.Forward(v.Stack.T, v.Stack.N, x, h0, c0, parameters, y, hT, cT, workspace, training, v.Lengths, v.Stack.DropoutSeed);
        else stack.Forward(v.Stack.T, v.Stack.N, x, h0, c0, prepared, y, hT, cT, workspace, training, v.Lengths, v.Stack.DropoutSeed);
    }

    private static void Backward(RecurrentStack stack, RecurrentParameters parameters, PreparedWeights? prepared, VariableLengthCase v,
        float[] x, float[] h0, float[] y, float[] dy, float[] dhT, float[] dcT, Span<float> dx, Span<float> dh0, Span<float> dc0,
        RecurrentParameters gradients, Span<float> workspace)
    {
        if (prepared is null)
            stack.Backward(v.Stack.T, v.Stack.N, x, h0, parameters, y, dy, dhT, dcT, dx, dh0, dc0, gradients, workspace, v.Lengths);
        else
            stack.Backward(v.Stack.T, v.Stack.N, x, h0, prepared, y, dy, dhT, dcT, dx, dh0, dc0, gradients, workspace, v.Lengths);
    }

    /// <summary>Whether element <paramref name="index"/> of a T x N (batch-first: N x T) tensor of rows of <paramref name="width"/> is padding.</summary>
    private static bool IsPadding(int index, int width, VariableLengthCase v)
    {
        int row = index / width, steps = v.Stack.T, batch = v.Stack.N;
        (int t, int n) = v.Stack.BatchFirst ? (row % steps, row / steps) : (row / batch, row % batch);
        return t >= v.Lengths[n];
    }

    /// <summary>The values with <paramref name="fill"/> at the padded positions.</summary>
    private static float[] Padded(float[] values, VariableLengthCase v, int width, float fill)
    {
        var padded = (float[])values.Clone();
        for (int i = 0; i < padded.Length; i++)
            if (IsPadding(i, width, v)) padded[i] = fill;
        return padded;
    }

    private static void AssertPaddingIsZero(float[] values, VariableLengthCase v, int width, string what)
    {
        for (int i = 0; i < values.Length; i++)
            if (IsPadding(i, width, v))
                Assert.True(BitConverter.SingleToInt32Bits(values[i]) == 0, $"{what}[{i}] at a padded position is {values[i]:R}, not 0");
    }

    private static float[] Values(Random random, int count) => Enumerable.Range(0, count).Select(_ => random.NextSingle() * 2 - 1).ToArray();
}
