using System.Diagnostics;
using System.Globalization;

namespace SimdRnn.Cli;

/// <summary>
/// <c>simdrnn bench --problem ID... --threads N [--iters K] [--warmup W] --csv</c>: times <see cref="Gemm"/> on
/// the GEMM problems of PROBLEMS.md and prints <c>harness,problem,threads,ms_median,gflops</c> CSV (harness
/// <c>simdrnn-gemm</c>), the same form as native-compare's harnesses. Median of K timed calls after W warm-up
/// calls; GFLOP/s = 2 M N K / median time.
/// </summary>
internal static class BenchCommand
{
    private const int MinIterations = 10;

    private const string Usage = """
        usage: simdrnn bench --problem ID [ID...] --threads N [--iters K] [--warmup W] [--csv]
          --problem ID...  GEMM problems of PROBLEMS.md (default: all): {0}
          --threads N      degree of parallelism (default 1)
          --iters K        timed calls per problem, K >= 10 (default 20)
          --warmup W       untimed calls first, W >= 1 (default 3)
          --csv            print CSV (harness,problem,threads,ms_median,gflops); also the default
        """;

    /// <summary>Runs the command on the arguments after the word <c>bench</c>; returns the exit code (2 = usage error).</summary>
    public static int Run(string[] args)
    {
        var problems = new List<GemmProblem>();
        int threads = 1, iterations = 20, warmup = 3;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--problem":
                    for (; i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal); i++)
                    {
                        GemmProblem? problem = GemmProblem.Find(args[i + 1]);
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
                    Console.WriteLine(string.Format(CultureInfo.InvariantCulture, Usage, string.Join(' ', GemmProblem.All.Select(p => p.Id))));
                    return 0;
                default:
                    return Fail($"bad argument '{args[i]}'" + (i + 1 < args.Length ? $" '{args[i + 1]}'" : ""));
            }
        }

        if (problems.Count == 0) problems.AddRange(GemmProblem.All);
        Console.WriteLine("harness,problem,threads,ms_median,gflops");
        foreach (GemmProblem problem in problems)
        {
            double seconds = MedianSeconds(problem.CreateOperands(), threads, warmup, iterations);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"simdrnn-gemm,{problem.Id},{threads},{seconds * 1e3:F4},{problem.Flops / seconds * 1e-9:F2}"));
        }

        return 0;
    }

    private static double MedianSeconds(GemmOperandSet operands, int threads, int warmup, int iterations)
    {
        for (int i = 0; i < warmup; i++) operands.Run(threads);
        var seconds = new double[iterations];
        for (int i = 0; i < iterations; i++)
        {
            long start = Stopwatch.GetTimestamp();
            operands.Run(threads);
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
