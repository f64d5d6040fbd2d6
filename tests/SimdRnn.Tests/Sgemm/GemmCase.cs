using FsCheck;
using FsCheck.Fluent;
using SimdRnn.Reference;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Sgemm;

/// <summary>
/// One random product C = alpha * op(A) * op(B) + beta * C with leading-dimension padding. The values come from
/// <see cref="Seed"/> (so FsCheck shrinks the shape, not thousands of floats); the C buffer carries guard values
/// around it and in its ld padding.
/// </summary>
public sealed record GemmCase(int M, int N, int K, MatrixOp OpA, MatrixOp OpB, int PadA, int PadB, int PadC,
    float Alpha, float Beta, int Seed)
{
    /// <summary>Written into C's ld padding; must survive every call.</summary>
    public const float PaddingValue = -7777.5f;

    public (int Rows, int Columns) StoredA => OpA == MatrixOp.None ? (M, K) : (K, M);
    public (int Rows, int Columns) StoredB => OpB == MatrixOp.None ? (K, N) : (N, K);
    public int Lda => StoredA.Columns + PadA;
    public int Ldb => StoredB.Columns + PadB;
    public int Ldc => N + PadC;

    public float[] A => Values(StoredA.Rows, StoredA.Columns, Lda, Seed);
    public float[] B => Values(StoredB.Rows, StoredB.Columns, Ldb, Seed + 1);

    /// <summary>C's starting contents: NaN when beta = 0 (it must be ignored), padding marked.</summary>
    public Guarded NewC()
    {
        var c = new Guarded(Extent(M, N, Ldc));
        float[] values = Values(M, N, Ldc, Seed + 2);
        for (int i = 0; i < values.Length; i++)
            c.Span[i] = i % Ldc >= N ? PaddingValue : Beta == 0 ? float.NaN : values[i];
        return c;
    }

    public void Run(Span<float> c, SimdPath path, int threads = 1) =>
        SimdRnn.Gemm.Multiply(OpA, OpB, M, N, K, Alpha, A, Lda, B, Ldb, Beta, c, Ldc, threads, path);

    /// <summary>Checks |C - C_ref| &lt;= 3 * max(K, 1) * 2^-24 * (|alpha| |A||B| + |beta| |C|) and the untouched padding.</summary>
    public void AssertMatchesReference(Guarded result, float[] initialC, string label)
    {
        result.AssertGuardsIntact();
        bool transposeA = OpA == MatrixOp.Transpose, transposeB = OpB == MatrixOp.Transpose;
        float[] a = A, b = B;
        double[] exact = ReferenceGemm.Multiply(transposeA, transposeB, M, N, K, Alpha, a, Lda, b, Ldb, Beta, initialC, Ldc);
        double[] scale = ReferenceGemm.Multiply(transposeA, transposeB, M, N, K, Alpha, a, Lda, b, Ldb, Beta, initialC, Ldc, absoluteValues: true);
        double unit = ErrorConstant * Math.Max(K, 1) * Math.Pow(2, -24);
        Span<float> c = result.Span;
        for (int i = 0; i < M; i++)
        {
            for (int j = 0; j < N; j++)
            {
                double expected = exact[i * N + j], actual = c[i * Ldc + j];
                double bound = unit * scale[i * N + j] + 1e-37;
                Assert.True(Math.Abs(actual - expected) <= bound,
                    $"{label} {this}: C[{i},{j}] = {actual:R}, reference {expected:R}, bound {bound:R}");
            }

            for (int j = N; j < Ldc && i * Ldc + j < c.Length; j++)
                Assert.True(c[i * Ldc + j] == PaddingValue, $"{label} {this}: ld padding C[{i},{j}] was overwritten");
        }
    }

    /// <summary>The c of the stated bound: k roundings of the sum, plus alpha * a, the product (unfused paths) and beta * c: at most (k + 2) u.</summary>
    public const double ErrorConstant = 3.0;

    public static int Extent(int rows, int columns, int ld) => rows == 0 || columns == 0 ? 0 : (rows - 1) * ld + columns;

    /// <summary>Mostly values in [-1, 1), some small integers and zeros (exact), none so small that products underflow.</summary>
    private static float[] Values(int rows, int columns, int ld, int seed)
    {
        var random = new Random(seed);
        var values = new float[Extent(rows, columns, ld)];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = random.Next(10) switch
            {
                0 => 0f,
                1 => random.Next(-4, 5),
                _ => random.NextSingle() * 2f - 1f,
            };
        }

        return values;
    }

    public override string ToString() =>
        $"M={M} N={N} K={K} {OpA}/{OpB} pad {PadA},{PadB},{PadC} alpha={Alpha:R} beta={Beta:R} seed={Seed}";
}

public static class GemmArbitraries
{
    private static readonly int[] Primes = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 53, 67, 97, 127, 131, 157, 211, 257, 263, 293];

    /// <summary>Sizes biased to 1, primes and one off the tile multiples (tails), with 0 now and then.</summary>
    public static Gen<int> Size(int max) => Gen.Frequency(
        (1, Gen.Constant(0)),
        (3, Gen.Constant(1)),
        (4, Gen.Elements(Primes.Where(p => p <= max).ToArray())),
        (4, Gen.Elements(new[] { 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256 }.Where(t => t < max)
            .SelectMany(t => new[] { t - 1, t, t + 1 }).ToArray())),
        (4, Gen.Choose(0, max)));

    private static Gen<float> Scale(float random) => Gen.Elements(0f, 1f, random, -random);

    public static Gen<GemmCase> Cases(int maxSize) =>
        from m in Size(maxSize)
        from n in Size(maxSize)
        from k in Size(maxSize)
        from opA in Gen.Elements(MatrixOp.None, MatrixOp.Transpose)
        from opB in Gen.Elements(MatrixOp.None, MatrixOp.Transpose)
        from pads in Gen.Choose(0, 5).Three()
        from alpha in Gen.Choose(1, 3000).SelectMany(i => Gen.Frequency((3, Gen.Constant(1f)), (2, Scale(i / 1000f))))
        from beta in Gen.Choose(1, 3000).SelectMany(i => Scale(i / 1000f))
        from seed in Gen.Choose(0, int.MaxValue - 3)
        select new GemmCase(m, n, k, opA, opB, pads.Item1, pads.Item2, pads.Item3, alpha, beta, seed);
}

/// <summary>M, N, K in 0..300: the blocked loops, every edge and several KC blocks.</summary>
public static class LargeGemmCases
{
    public static Arbitrary<GemmCase> Case() => GemmArbitraries.Cases(300).ToArbitrary();
}

/// <summary>M, N, K in 0..40: every kernel shape, cheap enough for the emulated ARM64 leg.</summary>
public static class SmallGemmCases
{
    public static Arbitrary<GemmCase> Case() => GemmArbitraries.Cases(40).ToArbitrary();
}
