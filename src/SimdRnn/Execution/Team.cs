using System.Diagnostics;
using CommunityToolkit.HighPerformance.Helpers;

namespace SimdRnn.Execution;

/// <summary>Work that a team of threads runs together, meeting at barriers (<see cref="TeamMember.Meet"/>).</summary>
internal interface ITeamAction
{
    /// <summary>The member's share; it must divide the work by <see cref="TeamMember.Rank"/> and <see cref="TeamMember.Size"/> only.</summary>
    void Invoke(in TeamMember member);
}

/// <summary>One member of a running team: its rank, the team's size and the barrier the members share.</summary>
internal readonly unsafe struct TeamMember
{
    private readonly TeamState* _state;

    public TeamMember(TeamState* state, int rank, int size)
    {
        _state = state;
        Rank = rank;
        Size = size;
    }

    public int Rank { get; }

    public int Size { get; }

    /// <summary>
    /// Waits until every member has arrived (what each wrote before is then visible to all). False when a member has
    /// failed: stop and return; the fork reports the failure.
    /// </summary>
    public bool Meet() => Size == 1 || TeamState.Meet(_state, Size);
}

/// <summary>
/// A parallel region whose members stay together for a whole computation (a sequence's steps) and meet at barriers,
/// instead of a fork per piece. Built on <see cref="ForkJoin"/>: the caller hands parts to idle helpers and the team
/// is whoever has started within a short wait — a helper that is asleep, busy or late is left out, and the work is
/// divided among the members there are. So a busy machine degrades the call to its single-thread time rather than
/// stalling it, and a member that has started never waits for one that has not. Results must not depend on the size.
/// </summary>
internal static unsafe class Team
{
    // How long the caller waits for the helpers it handed parts to: a spinning helper starts within a microsecond, a
    // sleeping one within tens of microseconds (more when a virtual CPU has to be woken); a member left out costs its
    // share of the region, not a stall. So the wait grows with the region: 1/32 of its single-thread time estimated at
    // 100 G flop-equivalents per second (a streamed weight counts 16), between 50 us and 1 ms (a few % of a region
    // when no helper comes).
    private static readonly long MinJoinTicks = Stopwatch.Frequency / 20_000, MaxJoinTicks = Stopwatch.Frequency / 1_000;
    private const double WaitPerWork = 1.0 / (32 * 100e9);

    /// <summary>
    /// Runs <paramref name="action"/> on a team of at most <paramref name="maxSize"/> threads, the caller among them;
    /// <paramref name="work"/> (flop-equivalents, as <see cref="Parallelism"/> counts them) sets how long the caller
    /// waits for helpers to join.
    /// </summary>
    public static void Run<TAction>(int maxSize, in TAction action, long work = 0) where TAction : struct, ITeamAction
    {
        if (maxSize <= 1 || !ForkJoin.CanFork)
        {
            action.Invoke(new TeamMember(null, 0, 1));
            return;
        }

        long joinTicks = Math.Clamp((long)(work * WaitPerWork * Stopwatch.Frequency), MinJoinTicks, MaxJoinTicks);
        TeamState state = default;
        ForkJoin.Run(maxSize, new Part<TAction>(&state, maxSize, joinTicks, action));
    }

    private readonly struct Part<TAction>(TeamState* state, int parts, long joinTicks, TAction action) : IAction where TAction : struct, ITeamAction
    {
        public void Invoke(int part)
        {
            int rank = 0, size;
            if (part == 0) size = TeamState.Close(state, parts - 1, joinTicks);
            else if (TeamState.TryJoin(state, out rank)) size = TeamState.WaitUntilClosed(state);
            else return; // the team formed without this part (the caller runs parts no helper took: they end here)

            try
            {
                action.Invoke(new TeamMember(state, rank, size));
            }
            catch
            {
                Volatile.Write(ref state->Failed, 1); // releases the others from the barrier
                throw;
            }
        }
    }
}

/// <summary>The shared state of one team, on the caller's stack (the fork waits for every started member).</summary>
internal struct TeamState
{
    private const int Closed = 1 << 30;

    private int _joined; // helpers that joined; Closed once the caller has fixed the team
    private int _arrived;
    private int _generation;
    public int Failed;

    /// <summary>A helper's part asks to join; its rank is its order of joining (the caller is 0).</summary>
    public static unsafe bool TryJoin(TeamState* state, out int rank)
    {
        while (true)
        {
            int joined = Volatile.Read(ref state->_joined);
            rank = joined + 1;
            if ((joined & Closed) != 0) return false;
            if (Interlocked.CompareExchange(ref state->_joined, joined + 1, joined) == joined) return true;
        }
    }

    /// <summary>The caller waits up to <paramref name="ticks"/> for <paramref name="expected"/> helpers, then fixes the team; returns its size.</summary>
    public static unsafe int Close(TeamState* state, int expected, long ticks)
    {
        long until = Stopwatch.GetTimestamp() + ticks;
        while (Volatile.Read(ref state->_joined) < expected && Stopwatch.GetTimestamp() < until) Thread.SpinWait(8);
        while (true)
        {
            int joined = Volatile.Read(ref state->_joined);
            if (Interlocked.CompareExchange(ref state->_joined, joined | Closed, joined) == joined) return 1 + joined;
        }
    }

    /// <summary>A member that joined waits for the team to be fixed; returns its size.</summary>
    public static unsafe int WaitUntilClosed(TeamState* state)
    {
        var spinner = new SpinWait();
        int joined;
        while (((joined = Volatile.Read(ref state->_joined)) & Closed) == 0) spinner.SpinOnce(sleep1Threshold: -1);
        return 1 + (joined & ~Closed);
    }

    /// <summary>The barrier: the last of <paramref name="size"/> members to arrive starts the next generation.</summary>
    public static unsafe bool Meet(TeamState* state, int size)
    {
        int generation = Volatile.Read(ref state->_generation);
        if (Interlocked.Increment(ref state->_arrived) == size)
        {
            state->_arrived = 0;
            Volatile.Write(ref state->_generation, generation + 1); // publishes the reset too
        }
        else
        {
            var spinner = new SpinWait();
            while (Volatile.Read(ref state->_generation) == generation)
            {
                if (Volatile.Read(ref state->Failed) != 0) return false;
                spinner.SpinOnce(sleep1Threshold: -1);
            }
        }

        return Volatile.Read(ref state->Failed) == 0;
    }
}
