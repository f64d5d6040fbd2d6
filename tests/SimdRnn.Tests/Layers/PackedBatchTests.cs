using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SimdRnn.Layers;

namespace SimdRnn.Tests.Layers;

/// <summary>
/// The packed layout itself against a direct statement of it: rows sorted by length, longest first and stable; time t
/// holds the rows longer than t; gathering, scattering (zeros at padded positions) and sorting states move exactly the
/// valid rows, time-major or batch-first, and the scratch is exactly <see cref="PackedBatch.ScratchLength"/>.
/// </summary>
public class PackedBatchTests
{
    [Property(MaxTest = 200)]
    public void Packing_moves_exactly_the_valid_rows_in_length_order(PositiveInt stepsSeed, PositiveInt batchSeed, int lengthSeed, bool batchFirst)
    {
        int steps = 1 + stepsSeed.Get % 7, batch = 1 + batchSeed.Get % 9, width = 3;
        var random = new Random(lengthSeed);
        int[] lengths = [.. Enumerable.Range(0, batch).Select(_ => random.Next(1, steps + 1))];
        string what = $"T={steps} lengths=[{string.Join(",", lengths)}] batchFirst={batchFirst}";
        // Scratch with a sentinel after it: the packing writes exactly its length.
        int[] scratch = [.. Enumerable.Repeat(-12345, PackedBatch.ScratchLength(steps, batch) + 1)]; // not zeroed: the packing clears what it counts in
        var packing = new PackedBatch(lengths, steps, scratch.AsSpan(0, scratch.Length - 1), batchFirst);
        Assert.Equal(-12345, scratch[^1]);

        int[] order = [.. Enumerable.Range(0, batch).OrderByDescending(row => lengths[row])]; // OrderBy is stable
        Assert.True(order.SequenceEqual(packing.Order.ToArray()), what + ": order");
        int[] offsets = [.. Enumerable.Range(0, steps + 1).Select(t => Enumerable.Range(0, t).Sum(s => lengths.Count(length => length > s)))];
        Assert.True(offsets.SequenceEqual(packing.StepOffsets.ToArray()), what + ": offsets");

        int PaddedRow(int t, int row) => batchFirst ? row * steps + t : t * batch + row;
        float[] padded = [.. Enumerable.Range(0, steps * batch * width).Select(i => (float)i + 1)];
        var packed = new float[lengths.Sum() * width + 1];
        packed[^1] = float.NaN;
        packing.Gather(padded, width, packed.AsSpan(0, packed.Length - 1));
        Assert.True(float.IsNaN(packed[^1]), what + ": gather wrote past the packed rows");
        for (int t = 0, index = 0; t < steps; t++)
            foreach (int row in order.Where(row => lengths[row] > t))
            {
                Assert.True(padded.AsSpan(PaddedRow(t, row) * width, width).SequenceEqual(packed.AsSpan(index * width, width)),
                    $"{what}: packed row {index} is not t={t} row={row}");
                index++;
            }

        float[] scattered = [.. Enumerable.Repeat(float.NaN, padded.Length)];
        packing.Scatter(packed.AsSpan(0, packed.Length - 1), width, scattered);
        for (int t = 0; t < steps; t++)
            for (int row = 0; row < batch; row++)
                for (int i = 0; i < width; i++)
                {
                    int at = PaddedRow(t, row) * width + i;
                    Assert.True(BitConverter.SingleToInt32Bits(scattered[at]) == (t < lengths[row] ? BitConverter.SingleToInt32Bits(padded[at]) : 0),
                        $"{what}: scattered t={t} row={row} is {scattered[at]}");
                }

        float[] states = [.. Enumerable.Range(0, batch * width).Select(i => (float)i)];
        var sorted = new float[states.Length];
        Assert.True(packing.SortStates(states, width, sorted) == sorted.AsSpan());
        for (int i = 0; i < batch; i++)
            Assert.True(states.AsSpan(order[i] * width, width).SequenceEqual(sorted.AsSpan(i * width, width)), $"{what}: sorted state {i}");
        var unsorted = new float[states.Length];
        packing.UnsortStates(sorted, width, unsorted);
        Assert.Equal(states, unsorted);
    }

    /// <summary>The overlaps only these checks see: dx over the gradients, and an output over the parameters (named so).</summary>
    [Fact]
    public void Outputs_over_the_gradients_or_the_parameters_are_named()
    {
        var stack = new RecurrentStack(CellKind.RnnTanh, 2, 8);
        RecurrentParameters parameters = stack.CreateParameters(), gradients = stack.CreateParameters();
        const int steps = 2, batch = 3;
        var dx = Assert.Throws<ArgumentException>(() => stack.Backward(steps, batch, new float[12], new float[24], parameters, new float[48], new float[48],
            new float[24], [], gradients.All.AsSpan(0, 12), new float[24], [], gradients, new float[stack.WorkspaceLength(steps, batch)]));
        Assert.Equal("dx", dx.ParamName);
        Assert.StartsWith("dx overlaps gradients", dx.Message);
        var y = Assert.Throws<ArgumentException>(() => stack.Forward(steps, batch, new float[12], new float[24], [], parameters, parameters.All.AsSpan(0, 48),
            new float[24], [], new float[stack.WorkspaceLength(steps, batch)], training: true));
        Assert.Equal("y", y.ParamName);
        Assert.StartsWith("y overlaps parameters", y.Message);
    }

    [Fact]
    public void Lengths_are_validated_and_dense_when_all_are_the_whole_sequence()
    {
        PackedBatch.Validate([], 4, 3, "lengths");
        PackedBatch.Validate([1, 4, 2], 4, 3, "lengths");
        var count = Assert.Throws<ArgumentException>(() => PackedBatch.Validate([1, 4], 4, 3, "lengths"));
        Assert.Equal("lengths", count.ParamName);
        Assert.StartsWith("lengths has 2 entries but the batch has N=3 rows (one length per row, or none).", count.Message);
        foreach ((int[] lengths, int bad) in new[] { (new[] { 1, 0, 2 }, 1), (new[] { 5, 1, 2 }, 0), (new[] { 4, 4, -1 }, 2) })
        {
            var range = Assert.Throws<ArgumentOutOfRangeException>(() => PackedBatch.Validate(lengths, 4, 3, "lengths"));
            Assert.Equal("lengths", range.ParamName);
            Assert.Contains($"lengths[{bad}] is {lengths[bad]}, but every length must be in [1, T=4].", range.Message);
        }

        Assert.True(PackedBatch.IsDense([], 4));
        Assert.True(PackedBatch.IsDense([4, 4, 4], 4));
        Assert.False(PackedBatch.IsDense([4, 3, 4], 4));
        Assert.False(PackedBatch.IsDense([2], 4));
    }
}
