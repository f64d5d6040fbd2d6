using System.Globalization;

namespace SimdRnn.Cli;

/// <summary>
/// The options of a bench harness written in C#: --problem ID..., --threads N, --iters K, --warmup W, --csv (the only
/// output form; accepted for the native harnesses' command line), -h/--help, and the harness's own options that take
/// one value. <see cref="Parse"/> reads them for native-compare/onnxruntime_rnn and perf/SimdRnn.Benchmarks;
/// <c>simdrnn bench</c> parses the same options with System.CommandLine and its defaults from here.
/// </summary>
internal sealed class BenchOptions
{
    public const int MinIterations = 10;

    public List<string> ProblemIds { get; } = [];

    public int Threads { get; set; } = 1;

    public int Iterations { get; set; } = 20;

    public int Warmup { get; set; } = 3;

    /// <summary>
    /// The least time the warm-up calls take: .NET first runs a method as quick, unoptimized (tier-0) code and
    /// recompiles it optimized in the background only after 30 calls and a quiet 100 ms, so a few warm-up calls of a
    /// short call would time tier-0 code (seen: lstm-512-t1 1.09 ms per step after 3 warm-up calls, 0.26 ms optimized).
    /// </summary>
    public double WarmupSeconds { get; set; } = 1;

    public bool Help { get; set; }

    /// <summary>The harness's own options that were given, by name (with the dashes).</summary>
    public Dictionary<string, string> Values { get; } = new(StringComparer.Ordinal);

    /// <summary>Parses <paramref name="args"/>; null (and <paramref name="error"/>) on a bad argument.</summary>
    public static BenchOptions? Parse(string[] args, IReadOnlyCollection<string> valueOptions, out string error)
    {
        var options = new BenchOptions();
        error = "";
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--problem":
                    for (; i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal); i++) options.ProblemIds.Add(args[i + 1]);
                    break;
                case "--threads" when TryParse(args, ref i, 1, out int threads):
                    options.Threads = threads;
                    break;
                case "--iters" when TryParse(args, ref i, MinIterations, out int iterations):
                    options.Iterations = iterations;
                    break;
                case "--warmup" when TryParse(args, ref i, 1, out int warmup):
                    options.Warmup = warmup;
                    break;
                case "--warmup-seconds" when i + 1 < args.Length && double.TryParse(args[i + 1], NumberStyles.AllowDecimalPoint,
                    CultureInfo.InvariantCulture, out double seconds) && seconds <= 3600:
                    options.WarmupSeconds = seconds;
                    i++;
                    break;
                case "--csv":
                    break;
                case "-h" or "--help":
                    options.Help = true;
                    break;
                case var name when valueOptions.Contains(name) && i + 1 < args.Length:
                    options.Values[name] = args[++i];
                    break;
                default:
                    error = $"bad argument '{args[i]}'" + (i + 1 < args.Length ? $" '{args[i + 1]}'" : "");
                    return null;
            }
        }

        return options;
    }

    /// <summary>The problems of <paramref name="all"/> named by <see cref="ProblemIds"/>, in that order, or all of them when
    /// none was named; null if an id is not among them (<paramref name="unknown"/> is the first such).</summary>
    public List<T>? Select<T>(IReadOnlyList<T> all, Func<T, string> id, out string unknown)
    {
        unknown = "";
        if (ProblemIds.Count == 0) return [.. all];
        var selected = new List<T>();
        foreach (string name in ProblemIds)
        {
            if (all.FirstOrDefault(problem => id(problem) == name) is not { } problem)
            {
                unknown = name;
                return null;
            }

            selected.Add(problem);
        }

        return selected;
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
}
