using System.Globalization;

namespace SimdRnn.Cli;

/// <summary>
/// <c>simdrnn bench --problem ID... --threads N [--iters K] [--warmup W] [--warmup-seconds S] --csv</c>: times the problems of
/// native-compare/problems.tsv (embedded) and prints <c>harness,problem,threads,ms_median,gflops</c> CSV, the same form
/// as native-compare's harnesses: <c>simdrnn-gemm</c> for GEMM problems; <c>simdrnn-fwd</c>, <c>simdrnn-bwd</c>,
/// <c>simdrnn-train</c>, <c>simdrnn-train-prepared</c>, <c>simdrnn-train-varlen</c> for RNN train problems, <c>simdrnn-infer</c> for inference ones
/// and <c>simdrnn-stream</c> for stream ones (one step per call). Inference and stream problems run on weights prepared
/// once per problem, outside the timer. Median of K timed calls after W warm-up calls; GFLOP/s counts the GEMM flops
/// (native-compare/PROBLEMS.md's convention) over the median time.
/// </summary>
internal static class BenchCommand
{
    private const string Usage = """
        usage: simdrnn bench --problem ID [ID...] --threads N [--iters K] [--warmup W] [--warmup-seconds S] [--csv]
          --problem ID...  problems of native-compare/problems.tsv (default: all): {0}
          --threads N      degree of parallelism (default 1)
          --iters K        timed calls per problem, K >= 10 (default 20)
          --warmup W       untimed calls first, W >= 1 (default 3) ...
          --warmup-seconds S  ... and for at least S seconds (default 1), so that .NET has replaced its
                           first, unoptimized code of the calls by the optimized one before the timing
          --csv            print CSV (harness,problem,threads,ms_median,gflops); also the default
        rows: gemm problems simdrnn-gemm; rnn train problems simdrnn-fwd, -bwd, -train (on the parameters) and
        -train-prepared (prepared weights: refresh + fwd + bwd) and -train-varlen (fwd + bwd of the batch with
        lengths spread evenly over [T/2, T], flops of the valid steps); infer problems simdrnn-infer (prepared weights);
        stream problems simdrnn-stream (one step per call, prepared weights, state carried to the next call)
        """;

    /// <summary>Runs the command on the arguments after the word <c>bench</c>; returns the exit code (2 = usage error).</summary>
    public static int Run(string[] args)
    {
        if (BenchOptions.Parse(args, [], out string error) is not { } options) return Fail(error);
        if (options.Help)
        {
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, Usage, string.Join(' ', AllProblems.Select(p => p.Id))));
            return 0;
        }

        if (options.Select(AllProblems, p => p.Id, out string unknown) is not { } problems) return Fail($"unknown problem '{unknown}'");
        Console.WriteLine(BenchCase.CsvHeader);
        foreach (var problem in problems)
        {
            foreach (BenchCase benchCase in problem.Cases(options.Threads))
                benchCase.Report("simdrnn bench", problem.Id, options);
        }

        return 0;
    }

    private static IReadOnlyList<BenchProblem> AllProblems =>
        [.. GemmProblem.All.Select(p => new BenchProblem(p.Id, p.Cases)), .. RnnProblem.All.Select(p => new BenchProblem(p.Id, p.Cases))];

    /// <summary>A GEMM or RNN problem as the command sees it: its id and its timed calls.</summary>
    private sealed record BenchProblem(string Id, Func<int, IReadOnlyList<BenchCase>> Cases);

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"simdrnn bench: {message} (try 'simdrnn bench --help')");
        return 2;
    }
}
