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
        {
            foreach (BenchCase benchCase in RnnProblem.Find(id)!.Cases(threads: 2))
            {
                benchCase.Prepare?.Invoke();
                benchCase.Timed();
            }
        }
    }

    [Fact]
    public void Variable_lengths_spread_evenly_over_the_second_half_of_the_steps()
    {
        Assert.Equal([4, 5, 6, 7, 8], new RnnProblem("t", CellKind.Lstm, 3, 4, 5, 8, RnnMode.Train, "test").VariableLengths);
        Assert.Equal([50, 66, 83, 100], new RnnProblem("t", CellKind.Gru, 3, 4, 4, 100, RnnMode.Train, "test").VariableLengths);
        Assert.Equal([7], new RnnProblem("t", CellKind.Gru, 3, 4, 1, 7, RnnMode.Train, "test").VariableLengths);
    }

    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    public void Stream_steps_carry_the_state_as_one_forward_over_all_steps(CellKind cell)
    {
        const int steps = 5;
        var problem = new RnnProblem("stream-test", cell, 7, 6, 2, 1, RnnMode.Stream, "test");
        RnnOperandSet operands = problem.CreateOperands(threads: 1);
        float[] h0 = operands.Hidden.ToArray(), c0 = operands.CellState.ToArray(), x = operands.Input.ToArray();

        for (int i = 0; i < steps; i++) operands.StreamStep();

        // The same input at every step, from the same initial state, in one call.
        var stack = new RecurrentStack(cell, problem.Input, problem.Hidden);
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
}
