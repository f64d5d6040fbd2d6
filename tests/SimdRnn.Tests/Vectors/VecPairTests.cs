using SimdRnn.Activations;
using SimdRnn.Vectors;

namespace SimdRnn.Tests.Vectors;

/// <summary>
/// <see cref="VecPair{TVec}"/> is two vectors side by side: every operation gives, lane by lane, the bits the same
/// operation gives on each half (the cells take pairs or single vectors by column, and a split pass must not change a
/// bit). Checked through the activations (which use nearly every operation) on ordinary, extreme and special inputs,
/// and each remaining operation directly, on every width (AVX-512 and AVX2 in software where the CPU lacks them).
/// </summary>
public class VecPairTests
{
    [Fact]
    public void Pairs_compute_the_bits_of_their_halves_on_every_width()
    {
        AssertPairMatchesHalves<Vec1>();
        AssertPairMatchesHalves<Vec128>();
        AssertPairMatchesHalves<Vec256>();
        AssertPairMatchesHalves<Vec512>();
    }

    [Fact]
    public void Pair_transpose_is_the_transpose_of_the_double_width_square()
    {
        AssertTranspose<Vec1>();
        AssertTranspose<Vec128>();
        AssertTranspose<Vec256>();
        AssertTranspose<Vec512>();
    }

    private static float[] Inputs(int count)
    {
        float[] special = [0f, -0f, 1f, -1f, 1e-30f, -1e-30f, 1e-45f, 0.3f, -0.7f, 9f, -9f, 20f, -20f, 88.8f, -104f, 1e30f, -1e30f,
            float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, float.MinValue, 0.875f, -0.25f];
        var random = new Random(7);
        return [.. Enumerable.Range(0, count).Select(i => i < special.Length ? special[i] : (float)((random.NextDouble() - 0.5) * 40))];
    }

    private static void AssertPairMatchesHalves<TVec>() where TVec : struct, IVector<TVec>
    {
        int w = TVec.Count, pairWidth = 2 * w, count = 16 * pairWidth;
        float[] x = Inputs(count), y = [.. Inputs(count + 5).Skip(5)];
        var expected = new float[count];
        var actual = new float[count];
        var operations = new (string Name, Func<TVec, TVec, TVec> Single, Func<VecPair<TVec>, VecPair<TVec>, VecPair<TVec>> Pair)[]
        {
            ("Tanh", (a, _) => ActivationMath.Tanh(a), (a, _) => ActivationMath.Tanh(a)),
            ("Sigmoid", (a, _) => ActivationMath.Sigmoid(a), (a, _) => ActivationMath.Sigmoid(a)),
            ("Relu", (a, _) => ActivationMath.Relu(a), (a, _) => ActivationMath.Relu(a)),
            ("TanhBackward", (a, b) => ActivationMath.TanhBackward(a, b), (a, b) => ActivationMath.TanhBackward(a, b)),
            ("SigmoidBackward", (a, b) => ActivationMath.SigmoidBackward(a, b), (a, b) => ActivationMath.SigmoidBackward(a, b)),
            ("ReluBackward", (a, b) => ActivationMath.ReluBackward(a, b), (a, b) => ActivationMath.ReluBackward(a, b)),
            ("MultiplyAdd", (a, b) => TVec.MultiplyAdd(a, b, a), (a, b) => VecPair<TVec>.MultiplyAdd(a, b, a)),
            ("Sqrt", (a, _) => TVec.Sqrt(a), (a, _) => VecPair<TVec>.Sqrt(a)),
            ("Max", (a, b) => TVec.Max(a, b), (a, b) => VecPair<TVec>.Max(a, b)),
            ("^", (a, b) => a ^ b, (a, b) => a ^ b),
            ("ShiftLeftBits", (a, _) => TVec.ShiftLeftBits(a, 3), (a, _) => VecPair<TVec>.ShiftLeftBits(a, 3)),
            ("AddBits", (a, b) => TVec.AddBits(a, b), (a, b) => VecPair<TVec>.AddBits(a, b)),
            ("Create", (_, _) => TVec.Create(-2.5f), (_, _) => VecPair<TVec>.Create(-2.5f)),
            ("Zero", (_, _) => TVec.Zero, (_, _) => VecPair<TVec>.Zero),
        };
        foreach (var (name, single, pair) in operations)
        {
            for (int i = 0; i < count; i += w)
                TVec.Store(single(TVec.Load(in x[i], 0), TVec.Load(in y[i], 0)), ref expected[i], 0);
            for (int i = 0; i < count; i += pairWidth)
                VecPair<TVec>.Store(pair(VecPair<TVec>.Load(in x[i], 0), VecPair<TVec>.Load(in y[i], 0)), ref actual[i], 0);
            AssertBitwise(expected, actual, $"{name} at W={w}");
        }

        unsafe
        {
            fixed (float* source = x)
            {
                VecPair<TVec>.Store(VecPair<TVec>.Broadcast(source + 3), ref actual[0], 0);
                Assert.All(actual.Take(pairWidth), v => Assert.Equal(x[3], v));
            }
        }

        for (int i = 0; i < count; i += pairWidth)
        {
            var pair = VecPair<TVec>.Load(in x[i], 0);
            float[] lanes = x[i..(i + pairWidth)];
            Assert.Equal(TVec.Sum(TVec.Load(in lanes[0], 0)) + TVec.Sum(TVec.Load(in lanes[w], 0)), VecPair<TVec>.Sum(pair));
            if (!lanes.Any(float.IsNaN)) Assert.Equal(lanes.Max(), VecPair<TVec>.MaxAcross(pair));
        }

        Assert.Equal(2 * w, VecPair<TVec>.Count);
    }

    private static unsafe void AssertTranspose<TVec>() where TVec : struct, IVector<TVec>
    {
        int n = VecPair<TVec>.Count, sourceStride = n + 3, destinationStride = n + 5;
        float[] source = [.. Enumerable.Range(0, n * sourceStride).Select(i => (float)i)];
        var destination = new float[n * destinationStride];
        fixed (float* s = source, d = destination)
            VecPair<TVec>.TransposeSquare(s, sourceStride, d, destinationStride);
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++)
                Assert.Equal(source[c * sourceStride + r], destination[r * destinationStride + c]);
    }

    private static void AssertBitwise(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}: lane {i}: {actual[i]} instead of {expected[i]}");
    }
}
