using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SimdRnn.Layers;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Layers;

/// <summary>Stack cases that are all LSTMs with a projection (P in [1, H-1]), with every other option drawn as for any stack.</summary>
public static class ProjectionArbitraries
{
    private static Gen<StackCase> Projected(Gen<StackCase> cases) =>
        from c in cases
        let hidden = Math.Max(c.H, 2)
        from projection in Gen.Choose(1, hidden - 1)
        select c with { Cell = CellKind.Lstm, LinearBeforeReset = true, H = hidden, Projection = projection };

    public static Arbitrary<StackCase> Case() => Projected(StackArbitraries.Case().Generator).ToArbitrary();

    public static Arbitrary<VariableLengthCase> VariableLengthCase() =>
        (from v in VariableLengthArbitraries.Case().Generator
         from c in Projected(Gen.Constant(v.Stack))
         select v with { Stack = c }).ToArbitrary();
}

/// <summary>
/// The LSTM projection (PyTorch's proj_size): the float32 stack on every in-process path against the double reference
/// (dense, variable lengths, batch-first, no biases, stacks, bidirectional), prepared float32 and bfloat16 weights, bitwise
/// thread-count invariance, streaming sessions, no allocation once warm, and the refusals of a projection that cannot be.
/// The general properties draw projections too; these draw nothing else, so every run checks many.
/// </summary>
[Trait("Category", "Kernel")]
public class ProjectionTests
{
    [Property(Arbitrary = [typeof(ProjectionArbitraries)], MaxTest = 30)]
    public void Projected_stack_matches_the_reference_on_every_path(StackCase c) =>
        new RecurrentStackPropertyTests().Stack_forward_and_backward_match_the_reference_on_every_path(c);

    [Property(Arbitrary = [typeof(ProjectionArbitraries)], MaxTest = 30)]
    public void Projected_stack_with_variable_lengths_matches_the_reference(VariableLengthCase v) =>
        new VariableLengthTests().Variable_lengths_match_the_reference_on_every_path(v);

    [Property(Arbitrary = [typeof(ProjectionArbitraries)], MaxTest = 20)]
    public void Padding_never_changes_a_valid_bit_of_a_projected_stack(VariableLengthCase v) =>
        new VariableLengthTests().Padding_never_changes_a_valid_bit(v);

    [Property(Arbitrary = [typeof(ProjectionArbitraries)], MaxTest = 20)]
    public void Prepared_projection_gives_bitwise_the_results_of_the_parameters(StackCase c) =>
        new PreparedWeightsTests().Prepared_weights_give_bitwise_the_results_of_the_parameters(c);

    [Property(Arbitrary = [typeof(ProjectionArbitraries)], MaxTest = 20)]
    public void BFloat16_projection_gives_bitwise_the_float32_results_of_rounded_weights(StackCase c) =>
        new PreparedWeightsTests().BFloat16_weights_give_bitwise_the_float32_results_of_rounded_weights(c);

    /// <summary>Sizes whose steps split across threads (by batch rows): the results do not depend on the thread count.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Results_are_bitwise_the_same_for_any_thread_count(bool prepare)
    {
        const int steps = 3, batch = 37, input = 20, hidden = 40, projection = 17;
        int[] lengths = [.. Enumerable.Range(0, batch).Select(n => 1 + n % steps)];
        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 3, 7 })
            foreach (StepSplitRule split in new[] { StepSplitRule.Auto, StepSplitRule.HiddenUnits })
            {
                var stack = new RecurrentStack(CellKind.Lstm, input, hidden, layers: 2, bidirectional: true, new RecurrentStackOptions { ProjectionSize = projection })
                {
                    MaxDegreeOfParallelism = threads, StepSplit = split,
                };
                RecurrentParameters parameters = stack.CreateParameters(), gradients = stack.CreateParameters();
                for (int i = 0; i < parameters.All.Length; i++) parameters.All[i] = MathF.Sin(0.37f * i) * 0.3f;
                PreparedWeights? prepared = prepare ? stack.Prepare(parameters, training: true) : null;
                int states = 4 * batch * projection, cells = 4 * batch * hidden, outputs = steps * batch * 2 * projection;
                float[] x = Enumerable.Range(0, steps * batch * input).Select(i => MathF.Cos(0.21f * i)).ToArray();
                float[] h0 = Enumerable.Range(0, states).Select(i => MathF.Sin(0.7f * i) * 0.5f).ToArray(), c0 = new float[cells];
                float[] y = new float[outputs], hT = new float[states], cT = new float[cells], dx = new float[x.Length];
                float[] dy = Enumerable.Range(0, outputs).Select(i => MathF.Cos(0.13f * i)).ToArray(), dh0 = new float[states], dc0 = new float[cells];
                float[] all = [];
                foreach (int[] rowLengths in new[] { Array.Empty<int>(), lengths })
                {
                    var workspace = new float[stack.WorkspaceLength(steps, batch, training: true, prepare, variableLengths: rowLengths.Length > 0)];
                    if (prepared is null) stack.Forward(steps, batch, x, h0, c0, parameters, y, hT, cT, workspace, training: true, rowLengths);
                    else stack.Forward(steps, batch, x, h0, c0, prepared, y, hT, cT, workspace, training: true, rowLengths);
                    if (prepared is null) stack.Backward(steps, batch, x, h0, parameters, y, dy, hT, cT, dx, dh0, dc0, gradients, workspace, rowLengths);
                    else stack.Backward(steps, batch, x, h0, prepared, y, dy, hT, cT, dx, dh0, dc0, gradients, workspace, rowLengths);
                    all = [.. all, .. y, .. hT, .. cT, .. dx, .. dh0, .. dc0, .. gradients.All];
                }

                if (first is null) first = all;
                else Assert.True(Bits(first).SequenceEqual(Bits(all)), $"{threads} threads, {split} split differ from 1 thread");
            }
    }

    [Theory, MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    public void Session_steps_are_bitwise_one_whole_forward(SimdPath path)
    {
        const int steps = 7, batch = 3, input = 5, hidden = 21, projection = 9, layers = 2;
        var stack = new RecurrentStack(CellKind.Lstm, input, hidden, layers, options: new RecurrentStackOptions { ProjectionSize = projection }) { Path = path };
        RecurrentParameters parameters = stack.CreateParameters();
        for (int i = 0; i < parameters.All.Length; i++) parameters.All[i] = MathF.Sin(0.11f * i) * 0.4f;
        float[] x = Enumerable.Range(0, steps * batch * input).Select(i => MathF.Sin(0.7f * i)).ToArray();
        int state = layers * batch * projection, cells = layers * batch * hidden, perStep = batch * projection;
        float[] whole = new float[steps * perStep], hT = new float[state], cT = new float[cells];
        stack.Forward(steps, batch, x, new float[state], new float[cells], parameters, whole, hT, cT,
            new float[stack.WorkspaceLength(steps, batch, training: false)], training: false);

        foreach (WeightFormat format in new[] { WeightFormat.Float32, WeightFormat.BFloat16 })
        {
            var session = new RecurrentSession(stack, stack.Prepare(parameters, format: format), batch);
            Assert.Equal(state, session.HiddenState.Length);
            Assert.Equal(cells, session.CellState.Length);
            float[] stepped = new float[whole.Length];
            for (int t = 0; t < steps; t++) session.Step(x.AsSpan(t * batch * input, batch * input), stepped.AsSpan(t * perStep, perStep));
            if (format == WeightFormat.Float32)
            {
                Assert.Equal(Bits(whole), Bits(stepped));
                Assert.Equal(Bits(hT), Bits(session.HiddenState.ToArray()));
                Assert.Equal(Bits(cT), Bits(session.CellState.ToArray()));
            }
            else
            {
                // bfloat16 weights: close to float32 (the rounding of every weight), never the same bits for these weights.
                Assert.NotEqual(Bits(whole), Bits(stepped));
                for (int i = 0; i < whole.Length; i++) Assert.True(Math.Abs(whole[i] - stepped[i]) < 0.05, $"y[{i}] {stepped[i]} vs {whole[i]}");
            }

            session.ResetRow(1);
            Assert.All(session.HiddenState.Slice(projection, projection).ToArray(), v => Assert.Equal(0f, v));
            Assert.All(session.CellState.Slice(hidden, hidden).ToArray(), v => Assert.Equal(0f, v));
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Warm_projected_calls_allocate_nothing(bool prepare, bool variableLengths)
    {
        const int steps = 5, batch = 4, input = 6, hidden = 16, projection = 7;
        int[] lengths = variableLengths ? [5, 2, 4, 1] : [];
        var stack = new RecurrentStack(CellKind.Lstm, input, hidden, layers: 2, bidirectional: true, new RecurrentStackOptions { ProjectionSize = projection })
        {
            MaxDegreeOfParallelism = 2,
        };
        RecurrentParameters parameters = stack.CreateParameters(), gradients = stack.CreateParameters();
        PreparedWeights? prepared = prepare ? stack.Prepare(parameters, training: true) : null;
        int states = 4 * batch * projection, cells = 4 * batch * hidden, outputs = steps * batch * 2 * projection;
        float[] x = new float[steps * batch * input], h0 = new float[states], c0 = new float[cells], y = new float[outputs], hT = new float[states];
        float[] cT = new float[cells], dy = new float[outputs], dx = new float[x.Length], dh0 = new float[states], dc0 = new float[cells];
        var workspace = new float[stack.WorkspaceLength(steps, batch, training: true, prepare, variableLengths)];
        Allocations.AssertNothingOnceWarm(() =>
        {
            if (prepared is null)
            {
                stack.Forward(steps, batch, x, h0, c0, parameters, y, hT, cT, workspace, training: true, lengths);
                stack.Backward(steps, batch, x, h0, parameters, y, dy, hT, cT, dx, dh0, dc0, gradients, workspace, lengths);
            }
            else
            {
                stack.Forward(steps, batch, x, h0, c0, prepared, y, hT, cT, workspace, training: true, lengths);
                stack.Backward(steps, batch, x, h0, prepared, y, dy, hT, cT, dx, dh0, dc0, gradients, workspace, lengths);
            }
        }, $"projected forward and backward (prepared {prepare}, lengths {variableLengths})");
    }

    /// <summary>Backward adds into the gradients, W_hr's as every other: two forward-backward passes give twice one pass.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Backward_adds_into_every_gradient_including_the_projection(bool prepare)
    {
        const int steps = 4, batch = 3, input = 5, hidden = 11, projection = 4;
        var stack = new RecurrentStack(CellKind.Lstm, input, hidden, layers: 2, bidirectional: true, new RecurrentStackOptions { ProjectionSize = projection });
        RecurrentParameters parameters = stack.CreateParameters(), once = stack.CreateParameters(), twice = stack.CreateParameters();
        for (int i = 0; i < parameters.All.Length; i++) parameters.All[i] = MathF.Sin(0.29f * i) * 0.4f;
        PreparedWeights? prepared = prepare ? stack.Prepare(parameters, training: true) : null;
        int states = 4 * batch * projection, cells = 4 * batch * hidden, outputs = steps * batch * 2 * projection;
        float[] x = Enumerable.Range(0, steps * batch * input).Select(i => MathF.Cos(0.3f * i)).ToArray(), h0 = new float[states], c0 = new float[cells];
        float[] dy = Enumerable.Range(0, outputs).Select(i => MathF.Sin(0.17f * i)).ToArray();
        var workspace = new float[stack.WorkspaceLength(steps, batch, training: true, prepare)];
        void Pass(RecurrentParameters gradients)
        {
            float[] y = new float[outputs], hT = new float[states], cT = new float[cells];
            if (prepared is null) stack.Forward(steps, batch, x, h0, c0, parameters, y, hT, cT, workspace, training: true);
            else stack.Forward(steps, batch, x, h0, c0, prepared, y, hT, cT, workspace, training: true);
            if (prepared is null) stack.Backward(steps, batch, x, h0, parameters, y, dy, hT, cT, [], new float[states], new float[cells], gradients, workspace);
            else stack.Backward(steps, batch, x, h0, prepared, y, dy, hT, cT, [], new float[states], new float[cells], gradients, workspace);
        }

        Pass(once);
        Pass(twice);
        Pass(twice);
        foreach (string name in parameters.Names)
        {
            float[] one = once[name].ToArray(), two = twice[name].ToArray();
            Assert.Contains(one, v => v != 0);
            for (int i = 0; i < one.Length; i++)
                Assert.True(Math.Abs(two[i] - 2 * one[i]) <= 1e-5 * (1 + Math.Abs(one[i])), $"{name}[{i}]: two passes {two[i]}, one pass {one[i]}");
        }
    }

    [Fact]
    public void Projection_is_named_as_PyTorch_names_it_and_shapes_follow_it()
    {
        var stack = new RecurrentStack(CellKind.Lstm, 3, 5, layers: 2, bidirectional: true, new RecurrentStackOptions { ProjectionSize = 2 });
        RecurrentParameters parameters = stack.CreateParameters();
        Assert.Equal(2, stack.ProjectionSize);
        Assert.Equal(2, parameters.ProjectionSize);
        Assert.Equal(
            [
                "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0",
                "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse", "weight_hr_l0_reverse",
                "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1", "weight_hr_l1",
                "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse", "weight_hr_l1_reverse",
            ], parameters.Names);
        Assert.Equal([2, 5], parameters.Shape("weight_hr_l1_reverse"));
        Assert.Equal([20, 2], parameters.Shape("weight_hh_l0"));
        Assert.Equal([20, 4], parameters.Shape("weight_ih_l1")); // D*P inputs above the first layer
        var noBias = new RecurrentParameters(CellKind.Lstm, 3, 5, bias: false, projectionSize: 4);
        Assert.Equal(["weight_ih_l0", "weight_hh_l0", "weight_hr_l0"], noBias.Names);
        Assert.False(noBias.HasSameShape(new RecurrentParameters(CellKind.Lstm, 3, 5, bias: false, projectionSize: 3)));
        Assert.False(noBias.HasSameShape(new RecurrentParameters(CellKind.Lstm, 3, 5, bias: false)));
    }

    [Fact]
    public void Impossible_projections_are_refused_naming_the_argument_and_the_sizes()
    {
        foreach (int projection in new[] { -1, 5, 6 })
        {
            var stackError = Assert.Throws<ArgumentOutOfRangeException>(() =>
                new RecurrentStack(CellKind.Lstm, 3, 5, options: new RecurrentStackOptions { ProjectionSize = projection }));
            Assert.Equal("options", stackError.ParamName);
            Assert.Contains($"P={projection}", stackError.Message);
            Assert.Contains("H=5", stackError.Message);
            var parametersError = Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentParameters(CellKind.Lstm, 3, 5, projectionSize: projection));
            Assert.Equal("projectionSize", parametersError.ParamName);
        }

        foreach (CellKind cell in new[] { CellKind.Gru, CellKind.RnnTanh, CellKind.RnnRelu })
        {
            var stackError = Assert.Throws<ArgumentException>(() => new RecurrentStack(cell, 3, 5, options: new RecurrentStackOptions { ProjectionSize = 2 }));
            Assert.Equal("options", stackError.ParamName);
            Assert.Contains("LSTM only", stackError.Message);
            var parametersError = Assert.Throws<ArgumentException>(() => new RecurrentParameters(cell, 3, 5, projectionSize: 2));
            Assert.Equal("projectionSize", parametersError.ParamName);
            Assert.Contains(cell.ToString(), parametersError.Message);
        }

        // The stack and the parameters must agree on the projection, and the message gives both sizes.
        var projected = new RecurrentStack(CellKind.Lstm, 3, 5, options: new RecurrentStackOptions { ProjectionSize = 2 });
        var plain = new RecurrentStack(CellKind.Lstm, 3, 5);
        foreach ((RecurrentStack stack, RecurrentParameters parameters, string stackSays, string parametersSay) in new[]
                 {
                     (projected, plain.CreateParameters(), "P=2", "P=0"),
                     (plain, projected.CreateParameters(), "P=0", "P=2"),
                     (projected, new RecurrentParameters(CellKind.Lstm, 3, 5, projectionSize: 3), "P=2", "P=3"),
                 })
        {
            var error = Assert.Throws<ArgumentException>(() => stack.Prepare(parameters));
            Assert.Equal("parameters", error.ParamName);
            Assert.Contains("projection " + parametersSay, error.Message);
            Assert.Contains("projection " + stackSays, error.Message);
        }
    }

    private static int[] Bits(float[] values) => SimdRnn.Tests.Sgemm.GemmPropertyTests.Bitwise(values);
}
