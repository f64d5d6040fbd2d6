using System.CommandLine;

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
internal sealed class BenchCommand : Command
{
    private static readonly BenchOptions Defaults = new();
    private readonly Option<string[]> _problem = new("--problem")
    {
        Description = "Problems of native-compare/problems.tsv, one or more (default: all): " + string.Join(' ', AllProblems.Select(p => p.Id)) + ".",
        AllowMultipleArgumentsPerToken = true,
        Arity = ArgumentArity.OneOrMore,
        HelpName = "ID",
    };

    private readonly Option<int> _threads = CliOptions.Int("--threads", "Degree of parallelism.", Defaults.Threads, 1, int.MaxValue);
    private readonly Option<int> _iterations = CliOptions.Int("--iters", "Timed calls per problem; the median is printed.", Defaults.Iterations, BenchOptions.MinIterations, int.MaxValue);
    private readonly Option<int> _warmup = CliOptions.Int("--warmup", "Untimed calls first ...", Defaults.Warmup, 1, int.MaxValue);
    private readonly Option<double> _warmupSeconds = CliOptions.Double("--warmup-seconds",
        "... and for at least this many seconds, so that .NET has replaced the calls' first, unoptimized code by the optimized one before the timing.",
        Defaults.WarmupSeconds, 0, 3600);
    private readonly Option<bool> _csv = new("--csv") { Description = "Print CSV (harness,problem,threads,ms_median,gflops): the only output form, accepted for the native harnesses' command line." };

    public BenchCommand()
        : base("bench", "Time the problems of native-compare/problems.tsv and print CSV rows: GEMM problems as simdrnn-gemm; RNN train problems " +
                        "as simdrnn-fwd, -bwd, -train (on the parameters), -train-prepared (prepared weights: refresh + fwd + bwd) and -train-varlen " +
                        "(fwd + bwd of the batch with lengths spread evenly over [T/2, T], flops of the valid steps); infer problems " +
                        "as simdrnn-infer (prepared weights); stream problems as simdrnn-stream (one step per call, the state carried to the next call).")
    {
        _problem.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string[]>().FirstOrDefault(id => AllProblems.All(p => p.Id != id)) is { } unknown)
                result.AddError($"--problem: unknown problem '{unknown}' (see 'simdrnn bench --help')");
        });
        foreach (Option option in new Option[] { _problem, _threads, _iterations, _warmup, _warmupSeconds, _csv }) Options.Add(option);
        SetAction(Run);
    }

    private int Run(ParseResult parse)
    {
        var options = new BenchOptions
        {
            Threads = parse.GetValue(_threads),
            Iterations = parse.GetValue(_iterations),
            Warmup = parse.GetValue(_warmup),
            WarmupSeconds = parse.GetValue(_warmupSeconds),
        };
        options.ProblemIds.AddRange(parse.GetValue(_problem) ?? []);
        List<BenchProblem> problems = options.Select(AllProblems, p => p.Id, out string unknown) ?? throw new CliException($"unknown problem '{unknown}'");
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
}
