namespace SimdRnn.Tests.Hardening;

/// <summary>
/// One buffer of random values that the spans of a call are cut from (with gaps of untouched values between them, or
/// at chosen offsets to make spans overlap), plus any arrays the call also gets (parameters, gradients). After a
/// rejected call <see cref="AssertUnchanged"/> proves that nothing was written anywhere: not the outputs, not the
/// inputs, not the guard gaps around them.
/// </summary>
public sealed class Arena
{
    private const int Gap = 37;
    private readonly float[] _data;
    private readonly List<float[]> _tracked = [];
    private readonly List<float[]> _snapshots = [];
    private readonly List<(MemoryStream Stream, byte[] Before)> _streams = [];
    private int _next = Gap;

    public Arena(int seed, int capacity = 1 << 14)
    {
        var random = new Random(seed);
        _data = new float[capacity];
        for (int i = 0; i < capacity; i++) _data[i] = (float)(random.NextDouble() * 4 - 2);
    }

    /// <summary>A fresh span of <paramref name="length"/> values, disjoint from every other one.</summary>
    public Memory<float> Take(int length)
    {
        length = Math.Max(0, length); // a "too short" length below zero is an empty span
        var memory = _data.AsMemory(_next, length);
        _next += length + Gap;
        return memory;
    }

    /// <summary>A span starting <paramref name="shift"/> elements into <paramref name="other"/> (overlapping it when shift is below its length).</summary>
    public Memory<float> Overlapping(Memory<float> other, int shift, int length)
    {
        int start = OffsetOf(other) + shift;
        _next = Math.Max(_next, start + length + Gap);
        return _data.AsMemory(start, length);
    }

    /// <summary>Includes an array the call gets outside the arena (e.g. RecurrentParameters.All) in the no-write check.</summary>
    public T Track<T>(T owner, float[] values)
    {
        _tracked.Add(values);
        return owner;
    }

    /// <summary>A stream the call may be given to write to; a rejected call must leave it as it was.</summary>
    public MemoryStream TrackedStream(byte[]? content = null)
    {
        var stream = new MemoryStream();
        stream.Write(content ?? []);
        stream.Position = 0;
        _streams.Add((stream, []));
        return stream;
    }

    public void Snapshot()
    {
        for (int i = 0; i < _streams.Count; i++) _streams[i] = (_streams[i].Stream, _streams[i].Stream.ToArray());
        _snapshots.Clear();
        _snapshots.Add((float[])_data.Clone());
        foreach (float[] tracked in _tracked) _snapshots.Add((float[])tracked.Clone());
    }

    public void AssertUnchanged()
    {
        AssertSame(_snapshots[0], _data, "arena");
        for (int i = 0; i < _tracked.Count; i++) AssertSame(_snapshots[i + 1], _tracked[i], $"tracked array {i}");
        foreach ((MemoryStream stream, byte[] before) in _streams)
            Assert.True(before.AsSpan().SequenceEqual(stream.ToArray()), $"a tracked stream was written ({before.Length} -> {stream.Length} bytes) by a call that was rejected");
    }

    private static void AssertSame(float[] before, float[] after, string what)
    {
        for (int i = 0; i < before.Length; i++)
            if (BitConverter.SingleToInt32Bits(before[i]) != BitConverter.SingleToInt32Bits(after[i]))
                Assert.Fail($"{what}[{i}] was written ({before[i]:R} -> {after[i]:R}) by a call that was rejected");
    }

    private int OffsetOf(Memory<float> memory)
    {
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray((ReadOnlyMemory<float>)memory, out ArraySegment<float> segment);
        Assert.Same(_data, segment.Array);
        return segment.Offset;
    }
}
