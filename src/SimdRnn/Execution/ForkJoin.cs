using System.Runtime.ExceptionServices;
using CommunityToolkit.HighPerformance.Helpers;

namespace SimdRnn.Execution;

/// <summary>
/// The library's thread pool: one dedicated helper thread per processor beyond the first, shared by all callers.
/// A fork hands parts 1..n-1 of an action to idle helpers and runs part 0 (and any part no helper took) on the
/// calling thread, then waits for the helpers. A small product takes tens of microseconds, so the fork has to cost well
/// under one: a helper spins for a while after its last part before it sleeps, and takes the next part from a field
/// rather than a queue. (A layer's recurrence does not fork per step: it runs as one <see cref="Team"/>.) A caller that finds every helper busy (another
/// caller's fork, or a fork from inside a part) runs the parts itself, so forks never wait for each other and
/// results never depend on which thread ran a part. A part that no helper has started by the time the caller is done
/// with its own is taken back and run by the caller: on a busy machine, where a helper may not get a core for a
/// while, a fork degrades to the single-threaded time instead of waiting for the scheduler.
/// </summary>
internal static class ForkJoin
{
    private static readonly Helper[] s_helpers = CreateHelpers();

    // Set while this thread runs a fork's parts (always on helper threads): a fork from inside a part runs inline,
    // so a thread's reusable job is never replaced while helpers still read it.
    [ThreadStatic] private static bool t_inFork;

    /// <summary>Whether a fork from this thread can use helpers at all (there are some, and this is not a fork's part).</summary>
    public static bool CanFork => s_helpers.Length > 0 && !t_inFork;

    /// <summary>Runs <paramref name="action"/> for parts 0 .. <paramref name="parts"/> - 1, concurrently where helpers are free.</summary>
    public static void Run<TAction>(int parts, in TAction action) where TAction : struct, IAction
    {
        if (parts <= 1 || s_helpers.Length == 0 || t_inFork)
        {
            for (int part = 0; part < parts; part++) action.Invoke(part);
            return;
        }

        t_inFork = true;
        try
        {
            Fork(parts, action);
        }
        finally
        {
            t_inFork = false;
        }
    }

    private static void Fork<TAction>(int parts, in TAction action) where TAction : struct, IAction
    {
        Job<TAction> job = Job<TAction>.ForThisThread(action);
        Span<int> taken = stackalloc int[Math.Min(parts - 1, s_helpers.Length)];
        int handedOut = 0;
        for (int i = 0; i < s_helpers.Length && handedOut < taken.Length; i++)
        {
            if (s_helpers[i].TryStart(job, 1 + handedOut))
                taken[handedOut++] = i;
        }

        // Parts no helper took run here, after part 0.
        Exception? error = null;
        for (int part = 0; part < parts; part++)
        {
            if (part >= 1 && part <= handedOut) continue;
            try
            {
                action.Invoke(part);
            }
            catch (Exception e)
            {
                error ??= e;
            }
        }

        for (int i = 0; i < handedOut; i++)
        {
            Helper helper = s_helpers[taken[i]];
            if (helper.TryReclaim())
            {
                try
                {
                    action.Invoke(1 + i);
                }
                catch (Exception e)
                {
                    error ??= e;
                }

                helper.Release();
            }
            else
            {
                // Always wait (and free the helper), even when an earlier part already failed.
                Exception? partError = helper.Wait();
                error ??= partError;
            }
        }

        job.Clear();
        if (error != null) ExceptionDispatchInfo.Throw(error);
    }

    private static Helper[] CreateHelpers()
    {
        var helpers = new Helper[Math.Max(0, Environment.ProcessorCount - 1)];
        for (int i = 0; i < helpers.Length; i++) helpers[i] = new Helper(i);
        return helpers;
    }

    /// <summary>A part of a fork, type-erased for the helper thread.</summary>
    private abstract class Work
    {
        public abstract void Invoke(int part);
    }

    /// <summary>One reusable job per calling thread and action type, so a steady state of forks allocates nothing.</summary>
    private sealed class Job<TAction> : Work where TAction : struct, IAction
    {
        [ThreadStatic] private static Job<TAction>? t_job;
        private TAction _action;

        public static Job<TAction> ForThisThread(in TAction action)
        {
            Job<TAction> job = t_job ??= new Job<TAction>();
            job._action = action;
            return job;
        }

        public override void Invoke(int part) => _action.Invoke(part);

        public void Clear() => _action = default;
    }

    private sealed class Helper
    {
        // How long an idle helper spins for the next part before it sleeps: a few recurrent steps' worth.
        private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 2000;

        private const int Idle = 0, Posted = 1, Running = 2, Reclaimed = 3;

        private readonly SemaphoreSlim _wake = new(0);
        private int _busy; // 1 from TryStart until the caller has collected the part (Wait or Release)
        private int _state = Idle;
        private Work? _work;
        private int _part;
        private volatile bool _done;
        private Exception? _error;

        public Helper(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"SimdRnn helper {index + 1}" };
            thread.Start();
        }

        public bool TryStart(Work work, int part)
        {
            if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0) return false;
            _work = work;
            _part = part;
            _done = false;
            _error = null;
            Volatile.Write(ref _state, Posted); // publishes the fields above
            _wake.Release();
            return true;
        }

        /// <summary>Takes the part back if the helper has not started it; the caller then runs it and calls <see cref="Release"/>.</summary>
        public bool TryReclaim() => Interlocked.CompareExchange(ref _state, Reclaimed, Posted) == Posted;

        /// <summary>After a reclaim: frees the helper (it skips the part it was posted).</summary>
        public void Release() => Volatile.Write(ref _busy, 0);

        /// <summary>Waits for the started part to finish; returns its exception, if any, and frees the helper.</summary>
        public Exception? Wait()
        {
            var spinner = new SpinWait();
            while (!_done) spinner.SpinOnce(sleep1Threshold: -1);
            Exception? error = _error;
            Volatile.Write(ref _busy, 0);
            return error;
        }

        private void Loop()
        {
            t_inFork = true;
            while (true)
            {
                // Spin briefly for the next part, then sleep until one is posted (every post releases the semaphore once).
                long until = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
                while (Volatile.Read(ref _state) != Posted && System.Diagnostics.Stopwatch.GetTimestamp() < until) Thread.SpinWait(20);
                _wake.Wait();
                if (Interlocked.CompareExchange(ref _state, Running, Posted) != Posted)
                {
                    // A stale wake-up: the caller took the part back (Reclaimed) and freed the helper itself. Only that
                    // state goes back to Idle; a part posted meanwhile stays Posted for the next turn of the loop.
                    Interlocked.CompareExchange(ref _state, Idle, Reclaimed);
                    continue;
                }

                try
                {
                    _work!.Invoke(_part);
                }
                catch (Exception e)
                {
                    _error = e;
                }

                _work = null;
                Volatile.Write(ref _state, Idle);
                _done = true; // volatile write: publishes the result
            }
        }
    }
}
