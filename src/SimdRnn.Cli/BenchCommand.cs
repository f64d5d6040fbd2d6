using System.Diagnostics;
using System.Globalization;

namespace SimdRnn.Cli;

/// <summary>
/// <c>simdrnn bench --problem ID... --threads N [--iters K] [--warmup W] --csv</c>: times the problems of
/// native-compare/problems.tsv (embedded) and prints <c>harness,problem,threads,ms_median,gflops</c> CSV, the same form
/// as native-compare's harnesses: <c>simdrnn-gemm</c> for GEMM problems; <c>simdrnn-fwd</c>, <c>simdrnn-bwd</c>,
/// <c>simdrnn-train</c>, <c>simdrnn-train-prepared</c> for RNN train problems, <c>simdrnn-infer</c> for inference ones
/// and <c>simdrnn-stream</c> for stream ones (one step per call). Inference and stream problems run on weights prepared
/// once per problem, outside the timer. Median of K timed calls after W warm-up calls; GFLOP/s counts the GEMM flops
/// (native-compare/PROBLEMS.md's convention) over the median time.
/// </summary>
internal static class BenchCommand
{
    private const int MinIterations = 10;

    private const string Usage = """
        usage: simdrnn bench --problem ID [ID...] --threads N [--iters K] [--warmup W] [--csv]
          --problem ID...  problems of native-compare/problems.tsv (default: all): {0}
          --threads N      degree of parallelism (default 1)
          --iters K        timed calls per problem, K >= 10 (default 20)
          --warmup W       untimed calls first, W >= 1 (default 3)
          --csv            print CSV (harness,problem,threads,ms_median,gflops); also the default
        rows: gemm problems simdrnn-gemm; rnn train problems simdrnn-fwd, -bwd, -train (on the parameters) and
        -train-prepared (prepared weights: refresh + fwd + bwd); infer problems simdrnn-infer (prepared weights);
        stream problems simdrnn-stream (one step per call, prepared weights, state carried to the next call)
        """;

    /// <summary>Runs the command on the arguments after the word <c>bench</c>; returns the exit code (2 = usage error).</summary>
    public static int Run(string[] args)
    {
        var problems = new List<BenchProblem>();
        int threads = 1, iterations = 20, warmup = 3;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--problem":
                    for (; i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal); i++)
                    {
                        var problem = AllProblems.FirstOrDefault(p => p.Id == args[i + 1]);
                        if (problem is null) return Fail($"unknown problem '{args[i + 1]}'");
                        problems.Add(problem);
                    }

                    break;
                case "--threads" when TryParse(args, ref i, 1, out threads):
                case "--iters" when TryParse(args, ref i, MinIterations, out iterations):
                case "--warmup" when TryParse(args, ref i, 1, out warmup):
                case "--csv":
                    break;
                case "-h" or "--help":
                    Console.WriteLine(string.Format(CultureInfo.InvariantCulture, Usage, string.Join(' ', AllProblems.Select(p => p.Id))));
                    return 0;
                default:
                    return Fail($"bad argument '{args[i]}'" + (i + 1 < args.Length ? $" '{args[i + 1]}'" : ""));
            }
        }

        if (problems.Count == 0) problems.AddRange(AllProblems);

        Console.WriteLine("harness,problem,threads,ms_median,gflops");
        foreach (var problem in problems)
        {
            foreach (BenchCase benchCase in problem.Cases(threads))
            {
                double seconds = MedianSeconds(benchCase, warmup, iterations);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{benchCase.Harness},{problem.Id},{threads},{seconds * 1e3:F4},{benchCase.Flops / seconds * 1e-9:F2}"));
            }
        }

        return 0;
    }

    private static IEnumerable<BenchProblem> AllProblems =>
        GemmProblem.All.Select(p => new BenchProblem(p.Id, p.Cases))
            .Concat(RnnProblem.All.Select(p => new BenchProblem(p.Id, p.Cases)));

    /// <summary>A GEMM or RNN problem as the command sees it: its id and its timed calls.</summary>
    private sealed record BenchProblem(string Id, Func<int, IReadOnlyList<BenchCase>> Cases);

    private static double MedianSeconds(BenchCase benchCase, int warmup, int iterations)
    {
        for (int i = 0; i < warmup; i++)
        {
            benchCase.Prepare?.Invoke();
            benchCase.Timed();
        }

        var seconds = new double[iterations];
        for (int i = 0; i < iterations; i++)
        {
            benchCase.Prepare?.Invoke();
            long start = Stopwatch.GetTimestamp();
            benchCase.Timed();
            seconds[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        Array.Sort(seconds);
        return iterations % 2 == 1 ? seconds[iterations / 2] : 0.5 * (seconds[iterations / 2 - 1] + seconds[iterations / 2]);
    }

    private static bool TryParse(string[] args, ref int i, int minimum, out int value)
    {
        if (i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= minimum)
        {
            i++;
            return true;
        }

        value = 0;
        return false;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"simdrnn bench: {message} (try 'simdrnn bench --help')");
        return 2;
    }
}
