using System.Diagnostics;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Activations;

/// <summary>
/// Every float of a range, not a grid, on every in-process path: a coefficient a little off moves the error of a
/// stretch of inputs, which a grid can step over. (Not in the Kernel category: about 100 million reference values
/// per path would take too long on the emulated ARM64 leg.)
/// </summary>
public class ActivationExhaustiveTests(ITestOutputHelper output)
{
    private const int ChunkLength = 1 << 16;

    /// <summary>
    /// tanh's pieces span [0, 10): the odd polynomial below 0.875, then 1 - 2 / (e^2x + 1) up to the clamp at 10 (the
    /// result is 1 from 9.01). Below 2^-8 the polynomial's x^3 P(x^2) term is under 2^-16 / 3 of x, so a coefficient
    /// error there stays far below an ULP; [2^-8, 16) holds all the rest. The negatives follow by oddness: tanh(-x)
    /// must be bitwise -tanh(x).
    /// </summary>
    [Theory, MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    public void Tanh_is_within_1_ulp_on_every_float_in_2_pow_minus_8_to_16_and_odd(SimdPath path)
    {
        ActivationKernels.Unary tanh = ActivationKernels.Tanh;
        uint first = BitConverter.SingleToUInt32Bits(1f / 256), end = BitConverter.SingleToUInt32Bits(16f);
        long chunks = (end - first + ChunkLength - 1) / ChunkLength;
        long worst = 0, failures = 0;
        string firstFailure = "";
        var gate = new object();
        var clock = Stopwatch.StartNew();
        Parallel.For(0, chunks, () => (X: new float[ChunkLength], Y: new float[ChunkLength], YNegated: new float[ChunkLength], Worst: 0L), (chunk, _, local) =>
        {
            uint start = first + (uint)(chunk * ChunkLength);
            int count = (int)Math.Min(ChunkLength, end - start);
            Span<float> x = local.X.AsSpan(0, count), y = local.Y.AsSpan(0, count), yNegated = local.YNegated.AsSpan(0, count);
            for (int i = 0; i < count; i++) x[i] = BitConverter.UInt32BitsToSingle(start + (uint)i);
            tanh.Run(x, y, path);
            for (int i = 0; i < count; i++) x[i] = -x[i];
            tanh.Run(x, yNegated, path);
            for (int i = 0; i < count; i++)
            {
                float positive = -x[i];
                long ulp = Ulp.Distance(y[i], tanh.Reference(positive));
                local.Worst = Math.Max(local.Worst, ulp);
                bool odd = BitConverter.SingleToInt32Bits(yNegated[i]) == BitConverter.SingleToInt32Bits(-y[i]);
                if ((ulp > 0 && ulp > tanh.MaxUlp(positive)) || !odd)
                {
                    lock (gate)
                    {
                        if (failures++ == 0)
                            firstFailure = $"tanh({positive:R}) = {y[i]:R}, reference {tanh.Reference(positive):R} ({ulp} ULP); tanh(-x) = {yNegated[i]:R}";
                    }
                }
            }

            return local;
        }, local =>
        {
            lock (gate) worst = Math.Max(worst, local.Worst);
        });

        output.WriteLine($"tanh on {path}: {end - first} floats in [2^-8, 16) and their negatives, max {worst} ULP, {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(failures == 0, $"{path}: {failures} floats beyond {tanh.MaxUlp(1)} ULP or not odd, first: {firstFailure}");
    }
}
