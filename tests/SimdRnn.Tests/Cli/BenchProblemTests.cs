using SimdRnn.Cli;

namespace SimdRnn.Tests.Cli;

public class BenchProblemTests
{
    [Fact]
    public void Each_mode_times_its_rows()
    {
        Assert.Equal(["simdrnn-fwd", "simdrnn-bwd", "simdrnn-train", "simdrnn-train-prepared", "simdrnn-train-varlen"], Harnesses("lstm-seed"));
        Assert.Equal(["simdrnn-infer", "simdrnn-infer-bf16", "read-bound", "read-bound-bf16"], Harnesses("lstm-seed-infer"));
        Assert.Equal(["simdrnn-stream", "simdrnn-stream-bf16", "read-bound", "read-bound-bf16"], Harnesses("lstm-512-t1"));
    }

    [Fact]
    public void Every_rnn_case_runs()
    {
        // The smallest problem of each mode, through the bench's own calls (argument checks included).
        foreach (string id in new[] { "lstm-seed", "lstm-seed-infer", "lstm-512-t1" })
            RunEveryCase(RnnProblem.Find(id)!);
    }

    [Fact]
    public void Every_case_of_a_projected_lstm_and_a_reset_first_gru_runs()
    {
        // Small shapes of the table's lstm-1024-p256 and gru-512-rf forms in every mode: y and h are P wide, c H wide.
        foreach (RnnMode mode in Enum.GetValues<RnnMode>())
        {
            var projected = new RnnProblem("p", CellKind.Lstm, 7, 6, 3, 4, mode, "test", Projection: 2);
            RunEveryCase(projected);
            RunEveryCase(new RnnProblem("r", CellKind.Gru, 7, 6, 3, 4, mode, "test", LinearBeforeReset: false));
            RnnOperandSet operands = projected.CreateOperands(threads: 1);
            Assert.Equal((4 * 3 * 2, 3 * 2, 3 * 6), (operands.Output.Length, operands.Hidden.Length, operands.CellState.Length));
        }
    }

    [Fact]
    public void Forward_flops_are_twice_the_weights_of_the_matrix_products_per_row_and_step()
    {
        // Every row of the table: one forward multiplies each weight matrix (W_ih, W_hh and, projected, W_hr) with every
        // row of every step once; biases are no products.
        foreach (RnnProblem problem in RnnProblem.All)
        {
            var parameters = new RecurrentParameters(problem.Cell, problem.Input, problem.Hidden, projectionSize: problem.Projection);
            long weights = parameters.Names.Where(name => name.StartsWith("weight_", StringComparison.Ordinal))
                .Sum(name => parameters.Shape(name).Aggregate(1L, (product, size) => product * size));
            Assert.Equal(2.0 * problem.Steps * problem.Batch * weights, problem.ForwardFlops);
        }

        // By hand: lstm-1024 = 2 T N 4H (I + H); projected to P = 256: 2 T N (4H (I + P) + P H), 0.656 of it.
        Assert.Equal(26_843_545_600.0, RnnProblem.Find("lstm-1024")!.ForwardFlops);
        Assert.Equal(17_616_076_800.0, RnnProblem.Find("lstm-1024-p256")!.ForwardFlops);
        Assert.Equal(RnnProblem.Find("gru-512")!.ForwardFlops, RnnProblem.Find("gru-512-rf")!.ForwardFlops);
    }

    [Fact]
    public void Variable_length_rate_counts_the_valid_steps_only()
    {
        // Lengths 4, 5, 6, 8 of T = 8: 23 of the 32 dense steps, so the same time as the dense call would be 32/23 the rate.
        var problem = new RnnProblem("t", CellKind.Lstm, 5, 6, 4, 8, RnnMode.Train, "test", Projection: 3);
        Assert.Equal([4, 5, 6, 8], problem.VariableLengths);
        BenchCase[] cases = [.. problem.Cases(threads: 1)];
        Assert.Equal(3 * problem.ForwardFlops, cases.Single(c => c.Harness == "simdrnn-train").Flops);
        Assert.Equal(3 * problem.ForwardFlops * 23 / 32, cases.Single(c => c.Harness == "simdrnn-train-varlen").Flops, 1e-6);
    }

    [Fact]
    public void Variable_lengths_spread_evenly_over_the_second_half_of_the_steps()
    {
        Assert.Equal([4, 5, 6, 7, 8], new RnnProblem("t", CellKind.Lstm, 3, 4, 5, 8, RnnMode.Train, "test").VariableLengths);
        Assert.Equal([50, 66, 83, 100], new RnnProblem("t", CellKind.Gru, 3, 4, 4, 100, RnnMode.Train, "test").VariableLengths);
        Assert.Equal([7], new RnnProblem("t", CellKind.Gru, 3, 4, 1, 7, RnnMode.Train, "test").VariableLengths);
    }

    [Theory]
    [InlineData(CellKind.Lstm, 0, true)]
    [InlineData(CellKind.Lstm, 4, true)]
    [InlineData(CellKind.Gru, 0, true)]
    [InlineData(CellKind.Gru, 0, false)]
    public void Stream_steps_carry_the_state_as_one_forward_over_all_steps(CellKind cell, int projection, bool linearBeforeReset)
    {
        const int steps = 5;
        var problem = new RnnProblem("stream-test", cell, 7, 6, 2, 1, RnnMode.Stream, "test", projection, linearBeforeReset);
        RnnOperandSet operands = problem.CreateOperands(threads: 1);
        float[] h0 = operands.Hidden.ToArray(), c0 = operands.CellState.ToArray(), x = operands.Input.ToArray();

        for (int i = 0; i < steps; i++) operands.StreamStep();

        // The same input at every step, from the same initial state, in one call, on a stack made here with the options.
        var stack = new RecurrentStack(cell, problem.Input, problem.Hidden,
            options: new RecurrentStackOptions { ProjectionSize = projection, LinearBeforeReset = linearBeforeReset });
        float[] xs = Enumerable.Repeat(x, steps).SelectMany(values => values).ToArray();
        float[] y = new float[steps * h0.Length], hT = new float[h0.Length], cT = new float[c0.Length];
        stack.Forward(steps, problem.Batch, xs, h0, c0, operands.Parameters, y, hT, cT,
            new float[stack.WorkspaceLength(steps, problem.Batch, training: false)], training: false);
        Assert.Equal(hT, operands.Hidden.ToArray());
        Assert.Equal(cT, operands.CellState.ToArray());
        Assert.NotEqual(h0, hT);
    }

    [Fact]
    public void Bench_options_parse_the_shared_and_the_harness_own_options()
    {
        BenchOptions options = BenchOptions.Parse(
            ["--problem", "b", "a", "--threads", "2", "--iters", "12", "--warmup", "1", "--warmup-seconds", "0.5", "--csv", "--models", "dir"],
            ["--models"], out _)!;
        Assert.Equal((2, 12, 1, 0.5), (options.Threads, options.Iterations, options.Warmup, options.WarmupSeconds));
        Assert.Equal("dir", options.Values["--models"]);
        Assert.Equal(["b", "a"], options.Select(["a", "b", "c"], id => id, out _)!);
        Assert.Null(options.Select(["a"], id => id, out string unknown));
        Assert.Equal("b", unknown);
        Assert.Equal(["a", "c"], BenchOptions.Parse([], [], out _)!.Select(["a", "c"], id => id, out _)!);

        foreach (string[] bad in new string[][] { ["--iters", "9"], ["--threads", "0"], ["--warmup-seconds", "-1"], ["--models", "dir"], ["--threads"] })
        {
            Assert.Null(BenchOptions.Parse(bad, [], out string error));
            Assert.StartsWith("bad argument", error);
        }
    }

    private static string[] Harnesses(string id) => RnnProblem.Find(id)!.Cases(threads: 1).Select(c => c.Harness).ToArray();

    /// <summary>Runs each timed call of <paramref name="problem"/> once, after its untimed preparation.</summary>
    private static void RunEveryCase(RnnProblem problem)
    {
        foreach (BenchCase benchCase in problem.Cases(threads: 2))
        {
            benchCase.Prepare?.Invoke();
            benchCase.Timed();
        }
    }
}
