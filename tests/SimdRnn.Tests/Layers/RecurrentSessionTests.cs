using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Layers;

/// <summary>
/// Streaming: steps and chunks of a session are bitwise one forward over the whole sequence, on every path; a reset row
/// starts afresh without touching the others; calls allocate nothing; bad calls are refused by name.
/// </summary>
[Trait("Category", "Kernel")]
public class RecurrentSessionTests
{
    [Theory, MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    public void Steps_and_chunks_are_bitwise_one_whole_forward(SimdPath path)
    {
        const int steps = 9, batch = 3, input = 5, hidden = 33;
        foreach ((CellKind cell, bool linearBeforeReset) in StackArbitraries.CellForms)
        {
            var stack = new RecurrentStack(cell, input, hidden, layers: 2, options: new() { LinearBeforeReset = linearBeforeReset }) { Path = path };
            RecurrentParameters parameters = Parameters(stack);
            float[] x = Enumerable.Range(0, steps * batch * input).Select(i => MathF.Sin(0.7f * i)).ToArray();
            int state = 2 * batch * hidden, perStep = batch * hidden;
            float[] whole = new float[steps * perStep], hT = new float[state], cT = new float[cell == CellKind.Lstm ? state : 0];
            stack.Forward(steps, batch, x, new float[state], new float[cT.Length], parameters, whole, hT, cT,
                new float[stack.WorkspaceLength(steps, batch, training: false)], training: false);

            PreparedWeights prepared = stack.Prepare(parameters);
            var stepping = new RecurrentSession(stack, prepared, batch);
            var chunked = new RecurrentSession(stack, prepared, batch, maxSteps: 4);
            float[] stepped = new float[whole.Length], inChunks = new float[whole.Length];
            for (int t = 0; t < steps; t++)
                stepping.Step(x.AsSpan(t * batch * input, batch * input), stepped.AsSpan(t * perStep, perStep));
            for (int t = 0; t < steps; t += 4)
            {
                int length = Math.Min(4, steps - t);
                chunked.Run(length, x.AsSpan(t * batch * input, length * batch * input), inChunks.AsSpan(t * perStep, length * perStep));
            }

            Assert.Equal(Bits(whole), Bits(stepped));
            Assert.Equal(Bits(whole), Bits(inChunks));
            Assert.Equal(Bits(hT), Bits(stepping.HiddenState.ToArray()));
            Assert.Equal(Bits(cT), Bits(chunked.CellState.ToArray()));
        }
    }

    /// <summary>A batch-first stack without biases: a step's x and y are N x ... either way, so the session's steps are
    /// bitwise the rows of one whole batch-first forward (N x T x H).</summary>
    [Theory, MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    public void Steps_of_a_batch_first_stack_without_biases_are_bitwise_one_whole_forward(SimdPath path)
    {
        const int steps = 6, batch = 3, input = 4, hidden = 19;
        foreach ((CellKind cell, bool linearBeforeReset) in StackArbitraries.CellForms)
        {
            var stack = new RecurrentStack(cell, input, hidden, layers: 2,
                options: new RecurrentStackOptions { Bias = false, BatchFirst = true, LinearBeforeReset = linearBeforeReset })
            {
                Path = path,
            };
            RecurrentParameters parameters = Parameters(stack);
            float[] x = Enumerable.Range(0, steps * batch * input).Select(i => MathF.Sin(0.3f * i)).ToArray(); // N x T x I
            int state = 2 * batch * hidden;
            float[] whole = new float[steps * batch * hidden], hT = new float[state], cT = new float[cell == CellKind.Lstm ? state : 0];
            stack.Forward(steps, batch, x, new float[state], new float[cT.Length], parameters, whole, hT, cT,
                new float[stack.WorkspaceLength(steps, batch, training: false)], training: false);

            var session = new RecurrentSession(stack, stack.Prepare(parameters), batch);
            float[] xStep = new float[batch * input], yStep = new float[batch * hidden];
            for (int t = 0; t < steps; t++)
            {
                for (int n = 0; n < batch; n++) x.AsSpan((n * steps + t) * input, input).CopyTo(xStep.AsSpan(n * input));
                session.Step(xStep, yStep);
                for (int n = 0; n < batch; n++)
                    Assert.Equal(Bits(whole.AsSpan((n * steps + t) * hidden, hidden).ToArray()), Bits(yStep.AsSpan(n * hidden, hidden).ToArray()));
            }

            Assert.Equal(Bits(hT), Bits(session.HiddenState.ToArray()));
            Assert.Equal(Bits(cT), Bits(session.CellState.ToArray()));
        }
    }

    [Fact]
    public void A_reset_row_starts_afresh_and_the_other_rows_go_on()
    {
        const int batch = 4, input = 3, hidden = 8;
        var stack = new RecurrentStack(CellKind.Lstm, input, hidden);
        PreparedWeights prepared = stack.Prepare(Parameters(stack));
        var session = new RecurrentSession(stack, prepared, batch);
        var fresh = new RecurrentSession(stack, prepared, batch);
        float[] x = Enumerable.Range(0, batch * input).Select(i => MathF.Cos(i)).ToArray();
        float[] y = new float[batch * hidden], yFresh = new float[batch * hidden];
        session.Step(x, y);
        session.Step(x, y);
        float[] before = session.HiddenState.ToArray();
        session.ResetRow(2);
        Assert.All(session.HiddenState.Slice(2 * hidden, hidden).ToArray(), v => Assert.Equal(0f, v));
        Assert.All(session.CellState.Slice(2 * hidden, hidden).ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal(before.AsSpan(0, 2 * hidden).ToArray(), session.HiddenState[..(2 * hidden)].ToArray());

        session.Step(x, y);
        fresh.Step(x, yFresh);
        Assert.Equal(Bits(yFresh.AsSpan(2 * hidden, hidden).ToArray()), Bits(y.AsSpan(2 * hidden, hidden).ToArray()));
    }

    /// <summary>
    /// <see cref="RecurrentSession.ResetRow"/> zeroes that row's state in every layer (P wide with a projection, the cell
    /// state H wide) and nothing else, <see cref="RecurrentSession.Reset"/> every state; the session then goes on as one
    /// given those states does.
    /// </summary>
    [Fact]
    public void Resets_zero_exactly_their_rows_in_every_layer()
    {
        const int batch = 3, input = 2, hidden = 6, layers = 2, steps = 2;
        foreach ((CellKind cell, int projection) in new[] { (CellKind.Lstm, 4), (CellKind.Gru, 0) })
        {
            var stack = new RecurrentStack(cell, input, hidden, layers, options: new() { ProjectionSize = projection });
            PreparedWeights prepared = stack.Prepare(Parameters(stack));
            var session = new RecurrentSession(stack, prepared, batch, maxSteps: steps);
            Assert.Equal((batch, steps), (session.Batch, session.MaxSteps));
            int width = projection > 0 ? projection : hidden, cellWidth = cell == CellKind.Lstm ? hidden : 0;
            float[] x = Enumerable.Range(0, steps * batch * input).Select(i => MathF.Cos(0.9f * i)).ToArray(), y = new float[steps * batch * width];
            session.Run(steps, x, y);
            float[] h = session.HiddenState.ToArray(), c = session.CellState.ToArray();
            Assert.Equal((layers * batch * width, layers * batch * cellWidth), (h.Length, c.Length));
            Assert.DoesNotContain(0f, h);
            Assert.DoesNotContain(0f, c);

            session.ResetRow(1);
            for (int layer = 0; layer < layers; layer++)
            {
                h.AsSpan((layer * batch + 1) * width, width).Clear();
                c.AsSpan((layer * batch + 1) * cellWidth, cellWidth).Clear();
            }

            Assert.Equal(Bits(h), Bits(session.HiddenState.ToArray()));
            Assert.Equal(Bits(c), Bits(session.CellState.ToArray()));
            var given = new RecurrentSession(stack, prepared, batch, maxSteps: steps);
            h.CopyTo(given.HiddenState);
            c.CopyTo(given.CellState);
            float[] yGiven = new float[y.Length];
            session.Run(steps, x, y);
            given.Run(steps, x, yGiven);
            Assert.Equal(Bits(yGiven), Bits(y));

            session.Reset();
            Assert.All(session.HiddenState.ToArray(), v => Assert.Equal(0f, v));
            Assert.All(session.CellState.ToArray(), v => Assert.Equal(0f, v));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Steps_allocate_nothing_once_warm(bool linearBeforeReset)
    {
        var stack = new RecurrentStack(CellKind.Gru, 16, 64, options: new() { LinearBeforeReset = linearBeforeReset }) { MaxDegreeOfParallelism = 1 };
        var session = new RecurrentSession(stack, stack.Prepare(Parameters(stack)), batch: 2);
        float[] x = new float[2 * 16], y = new float[2 * 64];
        for (int i = 0; i < 5; i++) session.Step(x, y);
        Allocations.AssertNothingOnceWarm(() => session.Step(x, y), "RecurrentSession.Step", callsPerWindow: 13);
    }

    [Fact]
    public void Bad_sessions_and_calls_are_refused_by_name()
    {
        var stack = new RecurrentStack(CellKind.Lstm, 3, 4);
        PreparedWeights prepared = stack.Prepare(Parameters(stack));
        var bidirectional = new RecurrentStack(CellKind.Lstm, 3, 4, bidirectional: true);
        Assert.Equal("stack", Assert.Throws<ArgumentException>(() => new RecurrentSession(bidirectional, bidirectional.Prepare(Parameters(bidirectional)), 1)).ParamName);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => new RecurrentSession(new RecurrentStack(CellKind.Lstm, 3, 5), prepared, 1)).ParamName);
        Assert.Equal("weights", Assert.Throws<ArgumentNullException>(() => new RecurrentSession(stack, null!, 1)).ParamName);
        Assert.Equal("batch", Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentSession(stack, prepared, 0)).ParamName);
        Assert.Equal("maxSteps", Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentSession(stack, prepared, 1, 0)).ParamName);
        var session = new RecurrentSession(stack, prepared, batch: 2, maxSteps: 2);
        Assert.Equal("steps", Assert.Throws<ArgumentOutOfRangeException>(() => session.Run(3, new float[18], new float[24])).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => session.Step(new float[5], new float[8])).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => session.Step(new float[6], new float[9])).ParamName);
        Assert.Equal("row", Assert.Throws<ArgumentOutOfRangeException>(() => session.ResetRow(2)).ParamName);
        Assert.Equal("stack", Assert.Throws<ArgumentNullException>(() => new RecurrentSession(null!, prepared, 1)).ParamName);
        // The messages say what is allowed.
        Assert.Contains("unidirectional", Assert.Throws<ArgumentException>(() => new RecurrentSession(bidirectional, bidirectional.Prepare(Parameters(bidirectional)), 1)).Message);
        Assert.Contains("at least one step", Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentSession(stack, prepared, 1, 0)).Message);
        Assert.Contains("1 to 2 steps", Assert.Throws<ArgumentOutOfRangeException>(() => session.Run(3, new float[18], new float[24])).Message);
        Assert.Contains("[0, 2)", Assert.Throws<ArgumentOutOfRangeException>(() => session.ResetRow(-1)).Message);
    }

    /// <summary>
    /// A deep stack of a large batch whose per-call workspace fits but whose states (layers x N x H) would not fit one
    /// array is refused naming the batch (it overflowed int before: an undocumented OverflowException).
    /// </summary>
    [Fact]
    public void States_too_large_for_one_array_are_refused_naming_the_batch()
    {
        const int layers = 65536, batch = 32768; // layers x batch = 2^31 > Array.MaxLength
        var stack = new RecurrentStack(CellKind.RnnTanh, 1, 1, layers);
        PreparedWeights prepared = stack.Prepare(stack.CreateParameters());
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentSession(stack, prepared, batch));
        Assert.Equal("batch", error.ParamName);
        Assert.Contains("65536 layers x 32768 rows", error.Message);
    }

    /// <summary>A session keeps only an inference workspace for prepared weights (no pack scratch, nothing for backward).</summary>
    [Fact]
    public void A_session_holds_the_inference_workspace_of_prepared_weights()
    {
        foreach ((CellKind cell, int maxSteps) in new[] { (CellKind.Lstm, 1), (CellKind.Gru, 3) })
        {
            var stack = new RecurrentStack(cell, 3, 5, layers: 2);
            var session = new RecurrentSession(stack, stack.Prepare(Parameters(stack)), batch: 2, maxSteps);
            var workspace = (float[])typeof(RecurrentSession).GetField("_workspace", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
                .GetValue(session)!;
            Assert.Equal(stack.WorkspaceLength(maxSteps, 2, training: false, preparedWeights: true), workspace.Length);
            Assert.True(workspace.Length < stack.WorkspaceLength(maxSteps, 2, training: false, preparedWeights: false));
            Assert.True(workspace.Length < stack.WorkspaceLength(maxSteps, 2, training: true, preparedWeights: true));
        }
    }

    private static RecurrentParameters Parameters(RecurrentStack stack)
    {
        RecurrentParameters parameters = stack.CreateParameters();
        for (int i = 0; i < parameters.All.Length; i++) parameters.All[i] = MathF.Sin(1.3f * i) * 0.4f;
        return parameters;
    }

    private static int[] Bits(float[] values) => SimdRnn.Tests.Sgemm.GemmPropertyTests.Bitwise(values);
}
