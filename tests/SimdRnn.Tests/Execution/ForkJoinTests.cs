using CommunityToolkit.HighPerformance.Helpers;
using SimdRnn.Execution;

namespace SimdRnn.Tests.Execution;

/// <summary>The library's fork-join: every part runs exactly once, from many callers at once, nested, and with failing parts.</summary>
public class ForkJoinTests
{
    private readonly struct CountParts(int[] counts, int nestedParts) : IAction
    {
        public void Invoke(int part)
        {
            Interlocked.Increment(ref counts[part]);
            if (nestedParts > 0) ForkJoin.Run(nestedParts, new CountParts(new int[nestedParts], 0));
        }
    }

    private readonly struct Throwing(int failingPart, int[] counts, bool slowPartOne = false) : IAction
    {
        public void Invoke(int part)
        {
            // A slow part 1 is still running on its helper when the caller is done with the others.
            if (slowPartOne) Thread.Sleep(part == 1 ? 30 : 1);
            Interlocked.Increment(ref counts[part]);
            if (part == failingPart) throw new InvalidOperationException($"part {part}");
        }
    }

    [Fact]
    public void Every_part_runs_exactly_once_with_concurrent_and_nested_callers()
    {
        const int callers = 4, forks = 1500;
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var threads = Enumerable.Range(0, callers).Select(caller => new Thread(() =>
        {
            for (int i = 0; i < forks; i++)
            {
                int parts = 1 + (i + caller) % 9;
                var counts = new int[parts];
                ForkJoin.Run(parts, new CountParts(counts, nestedParts: i % 5 == 0 ? 3 : 0));
                if (counts.Any(c => c != 1)) failures.Add($"caller {caller} fork {i}: counts {string.Join(",", counts)}");
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Empty(failures);
    }

    /// <summary>Failing parts while another thread forks too: every part still runs once (a failed part's helper is still waited for).</summary>
    [Fact]
    public void Failing_parts_beside_a_concurrent_caller_lose_no_part()
    {
        using var stop = new CancellationTokenSource();
        var other = new Thread(() =>
        {
            var counts = new int[3];
            while (!stop.IsCancellationRequested) ForkJoin.Run(3, new CountParts(counts, 0));
        });
        other.Start();
        var lost = new List<string>();
        for (int i = 0; i < 20000 && lost.Count < 5; i++)
        {
            var counts = new int[4];
            try
            {
                ForkJoin.Run(4, new Throwing(i % 5, counts));
            }
            catch (InvalidOperationException)
            {
            }

            if (counts.Any(c => c != 1)) lost.Add($"fork {i}: counts {string.Join(",", counts)}");
        }

        stop.Cancel();
        other.Join();
        Assert.Empty(lost);
    }

    [Fact]
    public void A_failing_part_reaches_the_caller_after_every_other_part_ran_and_the_pool_keeps_working()
    {
        for (int failing = 0; failing < 4; failing++)
        {
            var counts = new int[4];
            var error = Assert.Throws<InvalidOperationException>(() => ForkJoin.Run(4, new Throwing(failing, counts, slowPartOne: true)));
            Assert.Equal($"part {failing}", error.Message);
            Assert.All(counts, c => Assert.Equal(1, c));
        }

        var after = new int[6];
        ForkJoin.Run(6, new CountParts(after, 0));
        Assert.All(after, c => Assert.Equal(1, c));
    }
}
