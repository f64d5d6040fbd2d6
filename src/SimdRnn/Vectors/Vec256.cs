using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SimdRnn.Vectors;

/// <summary>8 floats (AVX2). See <see cref="IVector{TSelf}"/>.</summary>
internal readonly struct Vec256(Vector256<float> value) : IVector<Vec256>
{
    public readonly Vector256<float> Value = value;

    public static int Count => Vector256<float>.Count;
    public static Vec256 Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Create(float value) => new(Vector256.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe Vec256 Broadcast(float* source) => Avx.IsSupported ? new(Avx.BroadcastScalarToVector256(source)) : Create(*source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Load(ref readonly float source, nuint index) => new(Vector256.LoadUnsafe(in source, index));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vec256 value, ref float destination, nuint index) => value.Value.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 operator +(Vec256 left, Vec256 right) => new(left.Value + right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 operator -(Vec256 left, Vec256 right) => new(left.Value - right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 operator *(Vec256 left, Vec256 right) => new(left.Value * right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 operator /(Vec256 left, Vec256 right) => new(left.Value / right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 operator -(Vec256 value) => new(-value.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 operator &(Vec256 left, Vec256 right) => new(left.Value & right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 operator |(Vec256 left, Vec256 right) => new(left.Value | right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 operator ^(Vec256 left, Vec256 right) => new(left.Value ^ right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 MultiplyAdd(Vec256 a, Vec256 b, Vec256 c) => new(Vector256.MultiplyAddEstimate(a.Value, b.Value, c.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Sqrt(Vec256 value) => new(Vector256.Sqrt(value.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Abs(Vec256 value) => new(Vector256.Abs(value.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Max(Vec256 left, Vec256 right) => new(Vector256.Max(left.Value, right.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 GreaterThan(Vec256 left, Vec256 right) => new(Vector256.GreaterThan(left.Value, right.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 LessThan(Vec256 left, Vec256 right) => new(Vector256.LessThan(left.Value, right.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 LessThanOrEqual(Vec256 left, Vec256 right) => new(Vector256.LessThanOrEqual(left.Value, right.Value));
    // One blend instead of the and / and-not / or the JIT makes of ConditionalSelect (the masks are whole lanes).
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 Select(Vec256 mask, Vec256 whenTrue, Vec256 whenFalse) => Avx.IsSupported ? new(Avx.BlendVariable(whenFalse.Value, whenTrue.Value, mask.Value)) : new(Vector256.ConditionalSelect(mask.Value, whenTrue.Value, whenFalse.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 ShiftLeftBits(Vec256 value, [ConstantExpected(Min = 0, Max = 31)] int count) => new(Vector256.ShiftLeft(value.Value.AsInt32(), count).AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec256 AddBits(Vec256 left, Vec256 right) => new((left.Value.AsInt32() + right.Value.AsInt32()).AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vec256 value) => Vector256.Sum(value.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(Vec256 value) => Vec128.MaxAcross(new(Vector128.Max(value.Value.GetLower(), value.Value.GetUpper())));

    /// <summary>8 x 8: unpack, shuffle, then swap 128-bit halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void TransposeSquare(float* source, nint sourceStride, float* destination, nint destinationStride)
    {
        if (!Avx.IsSupported)
        {
            Vec1.TransposeBlock(8, source, sourceStride, destination, destinationStride);
            return;
        }

        Vector256<float> r0 = Avx.LoadVector256(source), r1 = Avx.LoadVector256(source + sourceStride),
            r2 = Avx.LoadVector256(source + 2 * sourceStride), r3 = Avx.LoadVector256(source + 3 * sourceStride),
            r4 = Avx.LoadVector256(source + 4 * sourceStride), r5 = Avx.LoadVector256(source + 5 * sourceStride),
            r6 = Avx.LoadVector256(source + 6 * sourceStride), r7 = Avx.LoadVector256(source + 7 * sourceStride);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3),
            t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        // Lane L of u[c] holds column 4L + c of rows 0..3 (u0..u3) or 4..7 (u4..u7).
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE),
            u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(destination, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(destination + destinationStride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(destination + 2 * destinationStride, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(destination + 3 * destinationStride, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(destination + 4 * destinationStride, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(destination + 5 * destinationStride, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(destination + 6 * destinationStride, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(destination + 7 * destinationStride, Avx.Permute2x128(u3, u7, 0x31));
    }
}
