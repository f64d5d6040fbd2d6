using System.Runtime.CompilerServices;
using SimdRnn.Vectors;

namespace SimdRnn.Activations;

/// <summary>
/// The elementary functions of the kernels, each written once over the vector width. Accuracy is measured
/// against double-precision maths rounded to float (see the tests and the README).
/// </summary>
internal static class ActivationMath
{
    private const float Log2E = 1.44269504088896341f;

    // ln 2 split so that n * Ln2Hi is exact for |n| < 256 (Ln2Hi has 15 significant bits): the range
    // reduction then stays accurate without a fused multiply-add.
    private const float Ln2Hi = 0.693145751953125f;
    private const float Ln2Lo = 1.42860682030941723212e-6f;

    // Adding 1.5 * 2^23 rounds to an integer and leaves it in the low mantissa bits.
    private const float RoundingMagic = 12582912f;

    // Below this e^x is under half the smallest denormal, so it rounds to 0.
    private const float ExpLowest = -105f;

    // (e^r - 1 - r) / r^2 on |r| <= 1.02 ln2/2, Chebyshev fit (mpmath); error below 2^-27 relative.
    private const float E0 = 0.5f, E1 = 0.16666569628115477f, E2 = 0.04166654542109553f,
        E3 = 0.00836438069329107f, E4 = 0.0013927684616575004f;

    // Below this |x|, tanh uses its odd polynomial; above, 1 - 2 / (e^2|x| + 1) loses no accuracy to cancellation.
    private const float TanhPolynomialLimit = 0.875f;

    // tanh(x) = x + x^3 P(x^2) on |x| <= 0.875, Chebyshev fit of P (mpmath); error below 2^-28 relative.
    private const float T0 = -0.33333332915565317f, T1 = 0.1333327968971193f, T2 = -0.053956861520120636f,
        T3 = 0.021777295537173353f, T4 = -0.008499057582841559f, T5 = 0.002818473154630194f,
        T6 = -0.0005475857869120728f;

    // tanh(x) rounds to +-1 in float beyond 9.01; clamping keeps e^2x finite.
    private const float TanhSaturation = 10f;

    private const float TwoTo64 = 18446744073709551616f, TwoToMinus64 = 1f / TwoTo64;

    private const int SignBit = unchecked((int)0x80000000);

    /// <summary>
    /// e^x; NaN stays NaN. With <paramref name="nonPositive"/> (a constant at every call site, so the JIT drops the
    /// unused code) the caller guarantees x &lt;= 0 (any such value: under -104 the result is 0, denormal results are
    /// rounded once); without it x in [-87, 88] (normal results).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Exp<TVec>(TVec x, bool nonPositive) where TVec : struct, IVector<TVec>
    {
        // A compare-and-select clamp keeps NaN (a NaN lane compares false and keeps x).
        if (nonPositive)
            x = TVec.Select(TVec.LessThan(x, TVec.Create(ExpLowest)), TVec.Create(ExpLowest), x);
        TVec magic = TVec.Create(RoundingMagic);
        // n = round(x log2 e), also left in the low mantissa bits of nShifted.
        TVec nShifted = TVec.MultiplyAdd(x, TVec.Create(Log2E), magic);
        TVec n = nShifted - magic;
        TVec r = TVec.MultiplyAdd(n, TVec.Create(-Ln2Hi), x);
        r = TVec.MultiplyAdd(n, TVec.Create(-Ln2Lo), r);

        TVec g = TVec.MultiplyAdd(TVec.Create(E4), r, TVec.Create(E3));
        g = TVec.MultiplyAdd(g, r, TVec.Create(E2));
        g = TVec.MultiplyAdd(g, r, TVec.Create(E1));
        g = TVec.MultiplyAdd(g, r, TVec.Create(E0));
        TVec p = TVec.MultiplyAdd(g, r * r, r) + TVec.Create(1f);

        // 2^n: n into the exponent field (the float's own bits supply the bias). For n in [-152, 0], 2^(n + 64) is
        // normal, so p 2^(n + 64) is exact and the product with 2^-64 rounds only a denormal result, once.
        TVec exponent = TVec.ShiftLeftBits(nShifted, 23);
        return nonPositive
            ? p * TVec.AddBits(exponent, TVec.Create(TwoTo64)) * TVec.Create(TwoToMinus64)
            : p * TVec.AddBits(exponent, TVec.Create(1f));
    }

    /// <summary>tanh(x): at most 1 ULP from the correctly rounded value, exactly +-1 beyond 9.01, odd, NaN kept.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Tanh<TVec>(TVec x) where TVec : struct, IVector<TVec>
    {
        TVec a = TVec.Abs(x);
        TVec u = a * a;
        TVec g = TVec.MultiplyAdd(TVec.Create(T6), u, TVec.Create(T5));
        g = TVec.MultiplyAdd(g, u, TVec.Create(T4));
        g = TVec.MultiplyAdd(g, u, TVec.Create(T3));
        g = TVec.MultiplyAdd(g, u, TVec.Create(T2));
        g = TVec.MultiplyAdd(g, u, TVec.Create(T1));
        g = TVec.MultiplyAdd(g, u, TVec.Create(T0));
        TVec small = TVec.MultiplyAdd(a * u, g, a);

        TVec clamped = TVec.Select(TVec.GreaterThan(a, TVec.Create(TanhSaturation)), TVec.Create(TanhSaturation), a);
        TVec one = TVec.Create(1f);
        TVec large = one - TVec.Create(2f) / (Exp(clamped + clamped, nonPositive: false) + one);

        TVec magnitude = TVec.Select(TVec.LessThan(a, TVec.Create(TanhPolynomialLimit)), small, large);
        // Both branches are >= 0 (or NaN); the sign of x is put back last so that tanh(-0) = -0.
        return magnitude | (x & TVec.Create(BitConverter.Int32BitsToSingle(SignBit)));
    }

    /// <summary>
    /// 1 / (1 + e^-x): at most 1 ULP from the correctly rounded value, 2 ULP for x in [-16, -1] (the quotient carries the
    /// roundings of e^x and of 1 + e^x); exactly 0 and 1 at the ends, NaN kept.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Sigmoid<TVec>(TVec x) where TVec : struct, IVector<TVec>
    {
        // e^-|x| never overflows; for x < 0, sigmoid(x) = e^x / (1 + e^x) keeps the relative accuracy of tiny results.
        TVec e = Exp(x | TVec.Create(BitConverter.Int32BitsToSingle(SignBit)), nonPositive: true);
        TVec one = TVec.Create(1f);
        TVec numerator = TVec.Select(TVec.LessThan(x, TVec.Zero), e, one);
        return numerator / (e + one);
    }

    /// <summary>max(x, 0), with NaN kept and -0 mapped to +0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Relu<TVec>(TVec x) where TVec : struct, IVector<TVec> =>
        TVec.Select(TVec.LessThanOrEqual(x, TVec.Zero), TVec.Zero, x);

    /// <summary>dy * (1 - y^2), as dy * ((1 - y) * (1 + y)), which keeps its accuracy near |y| = 1 without FMA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec TanhBackward<TVec>(TVec y, TVec dy) where TVec : struct, IVector<TVec>
    {
        TVec one = TVec.Create(1f);
        return dy * ((one - y) * (one + y));
    }

    /// <summary>dy * y * (1 - y).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec SigmoidBackward<TVec>(TVec y, TVec dy) where TVec : struct, IVector<TVec> =>
        dy * (y * (TVec.Create(1f) - y));

    /// <summary>dy where y &gt; 0, 0 where y &lt;= 0 (even for a NaN dy, as PyTorch), NaN where y is NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec ReluBackward<TVec>(TVec y, TVec dy) where TVec : struct, IVector<TVec> =>
        TVec.Select(TVec.GreaterThan(y, TVec.Zero), dy, TVec.Select(TVec.LessThanOrEqual(y, TVec.Zero), TVec.Zero, y));
}
