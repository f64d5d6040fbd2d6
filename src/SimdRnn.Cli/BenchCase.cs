using System.Diagnostics;
using System.Globalization;

namespace SimdRnn.Cli;

/// <summary>One timed call of a bench problem: <see cref="Timed"/> is timed, <see cref="Prepare"/> (if any) runs untimed before it.</summary>
internal sealed record BenchCase(string Harness, double Flops, Action Timed, Action? Prepare = null)
{
    /// <summary>The CSV every harness prints (native-compare/README.md).</summary>
    public const string CsvHeader = "harness,problem,threads,ms_median,gflops";

    /// <summary>
    /// Times <paramref name="iterations"/> calls after untimed ones, at least <paramref name="warmup"/> of them and for at
    /// least <paramref name="warmupSeconds"/>: the fastest, median and slowest call in seconds.
    /// </summary>
    private (double Min, double Median, double Max) Time(int warmup, double warmupSeconds, int iterations)
    {
        long warmupStart = Stopwatch.GetTimestamp();
        for (int i = 0; i < warmup || Stopwatch.GetElapsedTime(warmupStart).TotalSeconds < warmupSeconds; i++)
        {
            Prepare?.Invoke();
            Timed();
        }

        var seconds = new double[iterations];
        for (int i = 0; i < iterations; i++)
        {
            Prepare?.Invoke();
            long start = Stopwatch.GetTimestamp();
            Timed();
            seconds[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        Array.Sort(seconds);
        double median = iterations % 2 == 1 ? seconds[iterations / 2] : 0.5 * (seconds[iterations / 2 - 1] + seconds[iterations / 2]);
        return (seconds[0], median, seconds[^1]);
    }

    /// <summary>
    /// Times the case and prints its CSV row on stdout (GFLOP/s = <see cref="Flops"/> over the median) and the spread of
    /// the calls on stderr, which shows at a glance how steady a run was.
    /// </summary>
    public void Report(string tool, string problem, BenchOptions options)
    {
        (double min, double median, double max) = Time(options.Warmup, options.WarmupSeconds, options.Iterations);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{tool}: {Harness} {problem} t{options.Threads}: min / median / max {min * 1e3:F4} / {median * 1e3:F4} / {max * 1e3:F4} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Harness},{problem},{options.Threads},{median * 1e3:F4},{Flops / median * 1e-9:F2}"));
    }
}
