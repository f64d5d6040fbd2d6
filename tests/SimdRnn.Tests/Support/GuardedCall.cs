namespace SimdRnn.Tests.Support;

/// <summary>One buffer of a call: its initial contents, and whether its final contents must match between the two runs.</summary>
public readonly record struct CallBuffer(float[] Initial, bool Compared = true)
{
    public static implicit operator CallBuffer(float[] initial) => new(initial);

    /// <summary>A buffer whose contents depend on its address (a workspace holding cache-line-aligned packs): guarded, not compared.</summary>
    public static CallBuffer Scratch(int length) => new(new float[length], Compared: false);
}

/// <summary>The buffers of one run of a call, by index.</summary>
public abstract class CallBuffers
{
    public abstract Span<float> this[int index] { get; }

    public abstract Memory<float> Memory(int index);
}

/// <summary>
/// Runs a call twice, once on ordinary arrays and once with every buffer in its own <see cref="GuardPageMemory{T}"/> of
/// exactly the same length, and asserts that both runs leave every compared buffer, and the returned value, bitwise the
/// same. An access one element outside a guarded buffer crashes the process.
/// </summary>
public static class GuardedCall
{
    /// <returns>The final contents of the guarded run's buffers.</returns>
    public static float[][] AssertMatchesArrays(GuardSide side, string what, Func<CallBuffers, double> call, params CallBuffer[] buffers)
    {
        var arrays = new ArrayBuffers(buffers.Select(b => (float[])b.Initial.Clone()).ToArray());
        double expected = call(arrays);

        using var guarded = new GuardedBuffers(buffers.Select(b => GuardPageMemory<float>.CopyOf(b.Initial, side)).ToArray());
        double actual = call(guarded);

        Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual),
            $"{what}, guard {side}: returned {actual:R}, on arrays {expected:R}");
        for (int i = 0; i < buffers.Length; i++)
            if (buffers[i].Compared)
                AssertBitwiseEqual(arrays[i], guarded[i], $"{what}, guard {side}, buffer {i}");
        return Enumerable.Range(0, buffers.Length).Select(i => guarded[i].ToArray()).ToArray();
    }

    public static float[][] AssertMatchesArrays(GuardSide side, string what, Action<CallBuffers> call, params CallBuffer[] buffers) =>
        AssertMatchesArrays(side, what, b =>
        {
            call(b);
            return 0;
        }, buffers);

    public static void AssertBitwiseEqual(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: [{i}] is {actual[i]:R}, expected {expected[i]:R}");
    }

    /// <summary>Reproducible values in [-range, range] (the seed defaults to the length, so equal lengths get equal values).</summary>
    public static float[] Values(int length, float range = 1f, int? seed = null)
    {
        var random = new Random(seed ?? length);
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * range;
        return values;
    }

    private sealed class ArrayBuffers(float[][] arrays) : CallBuffers
    {
        public override Span<float> this[int index] => arrays[index];

        public override Memory<float> Memory(int index) => arrays[index];
    }

    private sealed class GuardedBuffers(GuardPageMemory<float>[] memories) : CallBuffers, IDisposable
    {
        public override Span<float> this[int index] => memories[index].GetSpan();

        public override Memory<float> Memory(int index) => memories[index].Memory;

        public void Dispose()
        {
            foreach (IDisposable memory in memories) memory.Dispose();
        }
    }
}

/// <summary>The theory rows of the guard-page tests.</summary>
public static class GuardPageCases
{
    public static readonly GuardSide[] Sides = Enum.GetValues<GuardSide>();

    /// <summary>Every tail of every vector width (0..40 covers 0..15 past two 16-wide vectors), then a few long lengths.</summary>
    public static readonly int[] Lengths = [.. Enumerable.Range(0, 41), 63, 64, 65, 127, 255, 1000, 1023, 1025];

    /// <summary>Every in-process path with each guard side.</summary>
    public static TheoryData<SimdPath, GuardSide> PathsAndSides
    {
        get
        {
            var data = new TheoryData<SimdPath, GuardSide>();
            foreach (SimdPath path in TestPaths.InProcess)
                foreach (GuardSide side in Sides)
                    data.Add(path, side);
            return data;
        }
    }

    /// <summary>Each guard side, for the public entry points that take <see cref="Cpu.Path"/> (the CI legs vary it).</summary>
    public static TheoryData<GuardSide> SidesOnly => new(Sides);
}
