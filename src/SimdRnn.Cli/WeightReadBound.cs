using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SimdRnn.Cli;

/// <summary>
/// The read-bandwidth bound of an inference call, measured on the machine it runs on: the time the call's threads take
/// just to read the bytes the call cannot avoid reading — W_ih once and W_hh (with a projection W_hr too) once per step
/// (a small-batch step is bound by that read, not by its arithmetic). Each thread reads its share of buffers of the
/// weights' size, so the caches the weights would sit in (a core's L2, the shared L3, memory) decide the bandwidth, as
/// they do for the call. Timed like a harness ("read-bound"), its time over SimdRnn's is the share of the bound SimdRnn
/// reaches.
/// </summary>
internal sealed class WeightReadBound
{
    private readonly float[] _input, _recurrent;
    private readonly int _steps, _threads;
    private float _sink;

    /// <param name="inputWords">4-byte words of the stored W_ih (half the weights in bfloat16).</param>
    /// <param name="recurrentWords">4-byte words of the stored weights every step reads: W_hh, and W_hr with a projection.</param>
    /// <param name="steps">Steps per call: the recurrent weights are read once per step.</param>
    /// <param name="threads">Threads reading, each its share.</param>
    public WeightReadBound(long inputWords, long recurrentWords, int steps, int threads)
    {
        _input = new float[inputWords];
        _recurrent = new float[recurrentWords];
        // Written once, so that every page is mapped before the first timed read.
        _input.AsSpan().Fill(1f);
        _recurrent.AsSpan().Fill(1f);
        (_steps, _threads) = (steps, threads);
    }

    /// <summary>Bytes one call reads.</summary>
    public long Bytes => 4L * (_input.Length + (long)_steps * _recurrent.Length);

    public void Read()
    {
        if (_threads == 1) ReadShare(0);
        else Parallel.For(0, _threads, new ParallelOptions { MaxDegreeOfParallelism = _threads }, ReadShare);
    }

    private void ReadShare(int part)
    {
        float sum = Sum(Share(_input, part));
        Span<float> recurrent = Share(_recurrent, part);
        for (int step = 0; step < _steps; step++) sum += Sum(recurrent);
        if (sum == 42f) _sink = sum; // keeps the reads observable
    }

    private Span<float> Share(float[] buffer, int part)
    {
        long start = (long)buffer.Length * part / _threads, end = (long)buffer.Length * (part + 1) / _threads;
        return buffer.AsSpan((int)start, (int)(end - start));
    }

    // Eight independent sums of whole vectors, no bounds checks: as fast as the caches can deliver (the bound must not
    // be slower than the kernel it bounds).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Sum(ReadOnlySpan<float> values)
    {
        ref float start = ref MemoryMarshal.GetReference(values);
        nuint width = (nuint)Vector<float>.Count, length = (nuint)values.Length, i = 0;
        Vector<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        for (; i + 8 * width <= length; i += 8 * width)
        {
            s0 += Vector.LoadUnsafe(ref start, i);
            s1 += Vector.LoadUnsafe(ref start, i + width);
            s2 += Vector.LoadUnsafe(ref start, i + 2 * width);
            s3 += Vector.LoadUnsafe(ref start, i + 3 * width);
            s4 += Vector.LoadUnsafe(ref start, i + 4 * width);
            s5 += Vector.LoadUnsafe(ref start, i + 5 * width);
            s6 += Vector.LoadUnsafe(ref start, i + 6 * width);
            s7 += Vector.LoadUnsafe(ref start, i + 7 * width);
        }

        float sum = Vector.Sum(s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7);
        for (; i < length; i++) sum += Unsafe.Add(ref start, i);
        return sum;
    }

    public override string ToString() => $"read bound {Bytes / 1e6:F1} MB, {_threads} threads, sink {_sink}";
}
