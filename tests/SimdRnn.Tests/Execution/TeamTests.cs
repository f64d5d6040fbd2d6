using SimdRnn.Execution;

namespace SimdRnn.Tests.Execution;

/// <summary>
/// The team: every member sees what the others wrote before each meeting, over many meetings; a member that fails
/// releases the others and its exception reaches the caller; calls from many threads at once neither hang nor mix.
/// </summary>
public class TeamTests
{
    private sealed class Board(int members, int rounds)
    {
        public readonly int[,] Marks = new int[rounds, members];
        public int Size;
        public int Failures;
    }

    /// <summary>Each round every member marks its slot, meets, then checks every slot of that round.</summary>
    private readonly struct Rounds(Board board, int rounds, int failAtRound = -1) : ITeamAction
    {
        public void Invoke(in TeamMember member)
        {
            Volatile.Write(ref board.Size, member.Size);
            for (int round = 0; round < rounds; round++)
            {
                if (round == failAtRound && member.Rank == member.Size - 1) throw new InvalidOperationException("member failed");
                board.Marks[round, member.Rank] = round + 1;
                if (!member.Meet()) return;
                for (int other = 0; other < member.Size; other++)
                    if (board.Marks[round, other] != round + 1) Interlocked.Increment(ref board.Failures);
                if (!member.Meet()) return;
            }
        }
    }

    [Fact]
    public void Members_see_each_others_writes_at_every_meeting()
    {
        for (int run = 0; run < 200; run++)
        {
            var board = new Board(8, 50);
            Team.Run(1 + run % 4, new Rounds(board, 50));
            Assert.Equal(0, board.Failures);
            Assert.InRange(board.Size, 1, Math.Min(1 + run % 4, Environment.ProcessorCount));
        }
    }

    [Fact]
    public void A_failing_member_releases_the_others_and_its_exception_reaches_the_caller()
    {
        for (int run = 0; run < 100; run++)
        {
            var board = new Board(8, 20);
            var error = Assert.Throws<InvalidOperationException>(() => Team.Run(2 + run % 3, new Rounds(board, 20, failAtRound: run % 20)));
            Assert.Equal("member failed", error.Message);
        }

        // The helpers are free again afterwards.
        var after = new Board(8, 10);
        Team.Run(2, new Rounds(after, 10));
        Assert.Equal(0, after.Failures);
    }

    [Fact]
    public void Teams_from_many_threads_at_once_complete()
    {
        var failures = 0;
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var board = new Board(8, 30);
            Team.Run(2 + i % 3, new Rounds(board, 30));
            Interlocked.Add(ref failures, board.Failures);
        });
        Assert.Equal(0, failures);
    }
}
