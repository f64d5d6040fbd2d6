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
    public void Tanh_is_within_1_ulp_on_every_float_in_2_pow_minus_8_to_16_and_odd(SimdPath path) =>
        Sweep(ActivationKernels.Tanh, path, 1f / 256, 16f, (y, yNegated) => BitConverter.SingleToInt32Bits(yNegated) == BitConverter.SingleToInt32Bits(-y), "odd");

    /// <summary>
    /// sigmoid's e^-|x| spans every reduced argument and exponent from |x| = 2^-8 (below, sigmoid is 1/2 + x/4 to far
    /// better than an ULP) to 128 (beyond 104 the result is 0 or 1), and with it the quotient e^x / (1 + e^x) of
    /// negative inputs, where the roundings of e^x and of 1 + e^x add up to 2 ULP (the contract's bound in [-16, -1]).
    /// sigmoid(-x) = 1 - sigmoid(x) holds to rounding only, so both signs are checked against the reference.
    /// </summary>
    [Theory, MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    public void Sigmoid_is_within_its_bound_on_every_float_of_magnitude_2_pow_minus_8_to_128(SimdPath path) =>
        Sweep(ActivationKernels.Sigmoid, path, 1f / 256, 128f, null, "");

    /// <summary>Every float x in [<paramref name="low"/>, <paramref name="high"/>) and -x, against the reference and
    /// the contract's bound, and <paramref name="symmetry"/> (of f(x), f(-x)) where given.</summary>
    private void Sweep(ActivationKernels.Unary kernel, SimdPath path, float low, float high, Func<float, float, bool>? symmetry, string symmetryName)
    {
        uint first = BitConverter.SingleToUInt32Bits(low), end = BitConverter.SingleToUInt32Bits(high);
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
            kernel.Run(x, y, path);
            for (int i = 0; i < count; i++) x[i] = -x[i];
            kernel.Run(x, yNegated, path);
            for (int i = 0; i < count; i++)
            {
                float positive = -x[i];
                long ulp = Ulp.Distance(y[i], kernel.Reference(positive));
                long ulpNegated = Ulp.Distance(yNegated[i], kernel.Reference(-positive));
                local.Worst = Math.Max(local.Worst, Math.Max(ulp, ulpNegated));
                bool symmetric = symmetry is null || symmetry(y[i], yNegated[i]);
                if (ulp > kernel.MaxUlp(positive) || ulpNegated > kernel.MaxUlp(-positive) || !symmetric)
                {
                    lock (gate)
                    {
                        if (failures++ == 0)
                            firstFailure = $"{kernel.Name}({positive:R}) = {y[i]:R}, reference {kernel.Reference(positive):R} ({ulp} ULP); " +
                                $"{kernel.Name}({-positive:R}) = {yNegated[i]:R}, reference {kernel.Reference(-positive):R} ({ulpNegated} ULP)";
                    }
                }
            }

            return local;
        }, local =>
        {
            lock (gate) worst = Math.Max(worst, local.Worst);
        });

        output.WriteLine($"{kernel.Name} on {path}: {end - first} floats in [{low:R}, {high:R}) and their negatives, max {worst} ULP, {failures} beyond the bound{(symmetry is null ? "" : " or not " + symmetryName)}, {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(failures == 0, $"{path}: {failures} floats beyond the bound{(symmetry is null ? "" : " or not " + symmetryName)}, first: {firstFailure}");
    }
}
