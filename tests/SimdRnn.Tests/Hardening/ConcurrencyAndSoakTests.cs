using System.Diagnostics;

namespace SimdRnn.Tests.Hardening;

/// <summary>
/// Many threads on the same kernels, layers, weights and <see cref="PackedMatrix"/> at once (each with its own outputs and
/// workspace) get bitwise the single-threaded results; a bounded soak of training steps allocates nothing after warm-up
/// and is bitwise reproducible.
/// </summary>
/// <remarks>In a collection of its own that runs alone, so the process-wide allocation count sees only this work.</remarks>
[Collection(nameof(ConcurrencyAndSoakTests))]
public class ConcurrencyAndSoakTests
{
    private const int Threads = 8, Rounds = 12;

    /// <summary>Runs <paramref name="work"/>(thread, round) on <see cref="Threads"/> threads released together.</summary>
    private static void OnManyThreads(Action<int, int> work)
    {
        using var start = new Barrier(Threads);
        var errors = new List<Exception>();
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                for (int round = 0; round < Rounds; round++) work(t, round);
            }
            catch (Exception e)
            {
                lock (errors) errors.Add(e);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => Assert.True(t.Join(TimeSpan.FromMinutes(2)), "a thread did not finish"));
        if (errors.Count > 0) throw new AggregateException(errors);
    }

    private static void AssertBitwise(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}[{i}]: {actual[i]:R}, single-threaded {expected[i]:R}");
    }

    [Fact]
    public void Kernels_shared_between_threads_give_the_single_threaded_bits()
    {
        var random = new Random(5);
        float[] Values(int count) => Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 6 - 3)).ToArray();
        const int m = 37, n = 129, k = 300;
        float[] a = Values(m * k), w = Values(n * k), x = Values(4099), dy = Values(4099), logits = Values(20 * 97), g = Values(5000);
        int[] targets = Enumerable.Range(0, 20).Select(i => i * 7 % 97).ToArray();
        PackedMatrix packed = PackedMatrix.Pack(MatrixOp.Transpose, k, n, w, k);

        // Each job writes only into its own outputs; the inputs above (and the packed matrix) are shared by every thread.
        float[][] Run()
        {
            float[] c1 = new float[m * n], c2 = new float[m * n], c3 = new float[m * n], tanh = new float[x.Length], sigmoid = new float[x.Length];
            float[] back = new float[x.Length], dLogits = new float[logits.Length], p = (float[])g.Clone(), mo = new float[g.Length], v = new float[g.Length];
            SimdRnn.Gemm.Multiply(MatrixOp.None, MatrixOp.Transpose, m, n, k, 1f, a, k, w, k, 0f, c1, n);
            SimdRnn.Gemm.Multiply(MatrixOp.None, m, 1f, a, k, packed, 0f, c2, n);
            SimdRnn.Gemm.Multiply(MatrixOp.None, m, 1f, a, k, packed, 0f, c3, n, maxDegreeOfParallelism: 1);
            Activation.Tanh(x, tanh);
            Activation.Sigmoid(x, sigmoid);
            Activation.TanhBackward(tanh, dy, back);
            float loss = (float)SoftmaxCrossEntropy.ForwardBackward(logits, targets, dLogits, 97, 0.05f);
            Optimizer.AdamStep(p, g, mo, v, 3, 1e-3f);
            return [c1, c2, c3, tanh, sigmoid, back, dLogits, p, mo, v, [loss]];
        }

        float[][] expected = Run();
        OnManyThreads((_, _) =>
        {
            float[][] actual = Run();
            for (int i = 0; i < expected.Length; i++) AssertBitwise(expected[i], actual[i], $"result {i}");
        });
    }

    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    [InlineData(CellKind.RnnTanh)]
    public void Layers_with_shared_weights_on_many_threads_give_the_single_threaded_bits(CellKind cell)
    {
        var weights = new TinyWeights(cell, seed: 11);
        float[][] Snapshot(TinyModel model) => model.Results.Select(r => (float[])r.Clone()).ToArray();
        float[][][] expected = Enumerable.Range(0, Threads).Select(t =>
        {
            var model = new TinyModel(weights, dataSeed: t);
            model.ForwardBackward();
            return Snapshot(model);
        }).ToArray();
        float[][] weightsBefore = weights.All.Select(v => (float[])v.Clone()).ToArray();

        var models = Enumerable.Range(0, Threads).Select(t => new TinyModel(weights, dataSeed: t)).ToArray();
        OnManyThreads((t, _) =>
        {
            models[t].ForwardBackward();
            float[][] actual = Snapshot(models[t]);
            for (int i = 0; i < actual.Length; i++) AssertBitwise(expected[t][i], actual[i], $"thread {t} result {i}");
        });

        // The shared weights were only read.
        float[][] weightsAfter = weights.All.ToArray();
        for (int i = 0; i < weightsBefore.Length; i++) AssertBitwise(weightsBefore[i], weightsAfter[i], $"weights {i}");
    }

    /// <summary>
    /// Trains for <paramref name="steps"/> steps; returns the weights and the bytes allocated, on this thread and in the
    /// whole process, over the first and the second half of the steps after <paramref name="warmUp"/>.
    /// </summary>
    private static (float[][] Weights, long[] Thread, long[] Process, double Loss) Train(CellKind cell, int steps, int warmUp)
    {
        var weights = new TinyWeights(cell, seed: 3, input: 16, hidden: 24, classes: 16);
        var model = new TinyModel(weights, dataSeed: 4, steps: 8, batch: 4);
        int middle = (warmUp + steps) / 2;
        long[] thread = new long[3], process = new long[3];
        for (int step = 1; step <= steps + 1; step++)
        {
            int mark = step == warmUp + 1 ? 0 : step == middle + 1 ? 1 : step == steps + 1 ? 2 : -1;
            if (mark >= 0)
            {
                thread[mark] = GC.GetAllocatedBytesForCurrentThread();
                process[mark] = GC.GetTotalAllocatedBytes(precise: true);
            }

            if (step > steps) break;
            model.ForwardBackward();
            model.Update(step);
        }

        return (weights.All.ToArray(), [thread[1] - thread[0], thread[2] - thread[1]], [process[1] - process[0], process[2] - process[1]], model.Loss);
    }

    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    public void Soak_of_training_steps_allocates_nothing_after_warm_up_and_is_reproducible(CellKind cell)
    {
        const int steps = 300, warmUp = 5;
        var clock = Stopwatch.StartNew();
        var first = Train(cell, steps, warmUp);
        var second = Train(cell, steps, warmUp);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{cell}: 2 x {steps} steps in {clock.Elapsed.TotalSeconds:0.0} s; bytes allocated after {warmUp} warm-up steps, first and second half " +
            $"of each run: this thread {string.Join(" + ", first.Thread)}, then {string.Join(" + ", second.Thread)}; " +
            $"the process {string.Join(" + ", first.Process)}, then {string.Join(" + ", second.Process)}; final loss {first.Loss:0.0000}");

        // Flat: nothing in the second half of either run, on this thread. The first half may still see a one-time growth
        // of this thread's GEMM pack buffers (with several threads the calling thread takes whichever column panels
        // are left, so it may meet a wider one late); that growth is bounded by the buffer size, not the step count.
        // The process as a whole also counts the worker threads' pack buffers, the thread pool's small task objects for
        // a parallel GEMM and the test runner's own messages (measured up to ~110 KB in a first half): in the second
        // halves under 1 KB per step (a step makes about 20 GEMM calls), whatever the first halves saw.
        Assert.Equal(0, first.Thread[1]);
        Assert.Equal(0, second.Thread[1]);
        Assert.True(first.Thread[0] + second.Thread[0] <= 256 * 1024, $"this thread allocated {first.Thread[0]} + {second.Thread[0]} bytes in the first halves");
        foreach (long bytes in new[] { first.Process[1], second.Process[1] })
            Assert.True(bytes < 1024L * (steps - warmUp) / 2, $"{bytes} bytes allocated by the process in {(steps - warmUp) / 2} steps");
        Assert.True(first.Loss < 2.0, $"the loss did not fall: {first.Loss}");
        for (int i = 0; i < first.Weights.Length; i++) AssertBitwise(first.Weights[i], second.Weights[i], $"weights {i} of two identical runs");
    }
}

[CollectionDefinition(nameof(ConcurrencyAndSoakTests), DisableParallelization = true)]
public sealed class ConcurrencyAndSoakCollection;
