using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SimdRnn.Layers;
using SimdRnn.Reference;

namespace SimdRnn.Tests.Layers;

/// <summary>
/// The library's vectorised dropout mask is the reference's definition element by element (both layouts, in place or
/// not, every row width across the vector tails), drops about p of the elements, changes with the seed and the layer,
/// and multiplies rather than selects (NaN and infinities in a dropped element stay non-finite, as PyTorch's x * mask).
/// </summary>
public class DropoutMaskTests
{
    [Property(MaxTest = 60)]
    public void The_mask_is_the_reference_definition(PositiveInt steps, PositiveInt batch, PositiveInt width, bool batchFirst, bool inPlace,
        ulong seed, NonNegativeInt layer, byte probability)
    {
        int t = 1 + steps.Get % 6, n = 1 + batch.Get % 5, w = 1 + width.Get % 37, l = layer.Get % 4;
        float p = (1 + probability % 7) / 8f + probability / 4096f; // spread over (0.125, 0.94): small p would keep nearly all
        var shape = new DirectionShape(default, t, n, 1, 1, Training: true, batchFirst);
        float[] source = Enumerable.Range(0, t * n * w).Select(i => 1f + i).ToArray();
        float[] destination = inPlace ? source : new float[source.Length];
        float[] original = (float[])source.Clone();
        DropoutMask.Apply(shape, [], [], seed, l, p, w, source, destination);

        for (int time = 0; time < t; time++)
            for (int row = 0; row < n; row++)
                for (int unit = 0; unit < w; unit++)
                {
                    int k = (batchFirst ? row * t + time : time * n + row) * w + unit;
                    float expected = ReferenceDropout.Keeps(seed, l, time, row, unit, p) ? original[k] * (1f / (1f - p)) : 0f;
                    Assert.Equal(expected, destination[k]);
                }
    }

    /// <summary>
    /// On the packed layout (rows sorted by length, <see cref="PackedBatch"/>) every valid element gets the mask of its
    /// batch row and time, the reference's definition, whatever place the sort gave the row; the packed tensor's rows past
    /// the last step are not touched.
    /// </summary>
    [Property(MaxTest = 60)]
    public void The_packed_mask_is_keyed_on_the_batch_row(PositiveInt steps, PositiveInt batch, PositiveInt width, int lengthSeed, ulong seed,
        byte probability)
    {
        int t = 1 + steps.Get % 6, n = 1 + batch.Get % 6, w = 1 + width.Get % 37;
        float p = (1 + probability % 7) / 8f + probability / 4096f;
        var random = new Random(lengthSeed);
        int[] lengths = [.. Enumerable.Range(0, n).Select(_ => random.Next(1, t + 1))];
        var packing = new PackedBatch(lengths, t, new int[PackedBatch.ScratchLength(t, n)], batchFirst: false);
        float[] dense = [.. Enumerable.Range(0, t * n * w).Select(i => 1f + i)], packed = new float[dense.Length];
        packed.AsSpan().Fill(float.NaN);
        packing.Gather(dense, w, packed);
        DropoutMask.Apply(new DirectionShape(default, t, n, 1, 1, Training: true), packing.StepOffsets, packing.Order, seed, 1, p, w, packed, packed);
        int valid = lengths.Sum();
        Assert.All(packed[(valid * w)..], v => Assert.True(float.IsNaN(v)));
        float[] unpacked = new float[dense.Length];
        packing.Scatter(packed, w, unpacked);
        for (int time = 0; time < t; time++)
            for (int row = 0; row < n; row++)
                for (int unit = 0; unit < w; unit++)
                {
                    int k = (time * n + row) * w + unit;
                    bool kept = time < lengths[row] && ReferenceDropout.Keeps(seed, 1, time, row, unit, p);
                    Assert.Equal(kept ? dense[k] * (1f / (1f - p)) : 0f, unpacked[k]);
                }
    }

    /// <summary>Rows long enough for several vectors and a tail, on each layout: every element as the reference says.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Long_rows_match_the_reference_in_every_vector_and_the_tail(bool batchFirst)
    {
        const int steps = 3, batch = 2, width = 8 * 16 + 5;
        const float p = 0.5f;
        var shape = new DirectionShape(default, steps, batch, 1, 1, Training: true, batchFirst);
        float[] source = Enumerable.Range(0, steps * batch * width).Select(i => 0.5f + i).ToArray(), destination = new float[source.Length];
        DropoutMask.Apply(shape, [], [], 99, 2, p, width, source, destination);
        for (int time = 0; time < steps; time++)
            for (int row = 0; row < batch; row++)
                for (int unit = 0; unit < width; unit++)
                {
                    int k = (batchFirst ? row * steps + time : time * batch + row) * width + unit;
                    Assert.Equal(ReferenceDropout.Keeps(99, 2, time, row, unit, p) ? source[k] * 2f : 0f, destination[k]);
                }
    }

    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.5f)]
    [InlineData(0.9f)]
    public void About_p_of_the_elements_are_dropped_and_the_mask_follows_seed_and_layer(float p)
    {
        var shape = new DirectionShape(default, 50, 20, 1, 1, Training: true);
        float[] ones = Enumerable.Repeat(1f, 50 * 20 * 100).ToArray();
        float[] first = new float[ones.Length], otherSeed = new float[ones.Length], otherLayer = new float[ones.Length];
        DropoutMask.Apply(shape, [], [], 1, 0, p, 100, ones, first);
        DropoutMask.Apply(shape, [], [], 2, 0, p, 100, ones, otherSeed);
        DropoutMask.Apply(shape, [], [], 1, 1, p, 100, ones, otherLayer);
        double dropped = first.Count(v => v == 0) / (double)first.Length;
        Assert.InRange(dropped, p - 0.01, p + 0.01); // 100,000 draws: 0.01 is over 6 standard deviations
        Assert.All(first.Where(v => v != 0), v => Assert.Equal(1f / (1f - p), v));
        Assert.NotEqual(first, otherSeed);
        Assert.NotEqual(first, otherLayer);
    }

    /// <summary>
    /// The threshold is p * 2^32 rounded down, and an element whose hash equals it is kept ("at least"), in the vector
    /// body and in the scalar tail of a row: p is set to exactly such an element's hash / 2^32 (a float when the hash's
    /// low 8 bits are zero and its top bit set), and one float above it drops the element.
    /// </summary>
    [Fact]
    public void An_element_whose_hash_equals_the_threshold_is_kept()
    {
        Assert.Equal(0u, DropoutMask.Threshold(0f));
        Assert.Equal(0u, DropoutMask.Threshold(1e-10f));  // 0.43 rounded down
        Assert.Equal(1u, DropoutMask.Threshold(3e-10f));  // 1.29 rounded down
        Assert.Equal(1u << 31, DropoutMask.Threshold(0.5f));
        Assert.Equal(uint.MaxValue - 255, DropoutMask.Threshold(MathF.BitDecrement(1f)));

        int width = 2 * System.Numerics.Vector<float>.Count + 3, vectorEnd = System.Numerics.Vector.IsHardwareAccelerated ? width - 3 : 0;
        var shape = new DirectionShape(default, 1, 1, 1, 1, Training: true);
        float[] source = [.. Enumerable.Range(0, width).Select(i => 1f + i)], destination = new float[width];
        foreach (bool inTail in new[] { false, true })
        {
            if (!inTail && vectorEnd == 0) continue;
            (ulong seed, int unit, uint hash) = FindHashAtThreshold(inTail ? vectorEnd : 0, inTail ? width : vectorEnd);
            float p = (float)(hash / 4294967296.0);
            Assert.Equal(hash, DropoutMask.Threshold(p));
            DropoutMask.Apply(shape, [], [], seed, 0, p, width, source, destination);
            Assert.True(destination[unit] == source[unit] * (1f / (1f - p)), $"unit {unit} (tail: {inTail}) with hash = threshold was dropped");
            float above = MathF.BitIncrement(p);
            DropoutMask.Apply(shape, [], [], seed, 0, above, width, source, destination);
            Assert.True(destination[unit] == 0f, $"unit {unit} (tail: {inTail}) with hash below the threshold was kept");
        }
    }

    private static (ulong Seed, int Unit, uint Hash) FindHashAtThreshold(int firstUnit, int endUnit)
    {
        for (ulong seed = 0; ; seed++)
        {
            uint rowKey = DropoutMask.RowKey(seed, 0, 0, 0);
            for (int unit = firstUnit; unit < endUnit; unit++)
            {
                uint hash = DropoutMask.UnitHash(rowKey, unit);
                if (hash >= 1u << 31 && hash < uint.MaxValue - 255 && (hash & 0xFF) == 0) return (seed, unit, hash);
            }
        }
    }

    [Fact]
    public void Dropped_nan_and_infinity_stay_non_finite()
    {
        var shape = new DirectionShape(default, 1, 1, 1, 1, Training: true);
        const int width = 64;
        float[] values = Enumerable.Range(0, width).Select(i => i % 2 == 0 ? float.NaN : float.PositiveInfinity).ToArray();
        float[] result = new float[width];
        DropoutMask.Apply(shape, [], [], 7, 0, 0.5f, width, values, result);
        Assert.Contains(0, Enumerable.Range(0, width).Select(u => ReferenceDropout.Keeps(7, 0, 0, 0, u, 0.5f) ? 1 : 0));
        Assert.All(result, v => Assert.False(float.IsFinite(v)));
    }
}
