using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SimdRnn.Vectors;

/// <summary>16 floats (AVX-512). See <see cref="IVector{TSelf}"/>.</summary>
internal readonly struct Vec512(Vector512<float> value) : IVector<Vec512>
{
    public readonly Vector512<float> Value = value;

    public static int Count => Vector512<float>.Count;
    public static Vec512 Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Create(float value) => new(Vector512.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe Vec512 Broadcast(float* source) => Avx512F.IsSupported ? new(Avx512F.BroadcastScalarToVector512(Vector128.CreateScalarUnsafe(*source))) : Create(*source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Load(ref readonly float source, nuint index) => new(Vector512.LoadUnsafe(in source, index));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vec512 value, ref float destination, nuint index) => value.Value.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 operator +(Vec512 left, Vec512 right) => new(left.Value + right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 operator -(Vec512 left, Vec512 right) => new(left.Value - right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 operator *(Vec512 left, Vec512 right) => new(left.Value * right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 operator /(Vec512 left, Vec512 right) => new(left.Value / right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 operator -(Vec512 value) => new(-value.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 operator &(Vec512 left, Vec512 right) => new(left.Value & right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 operator |(Vec512 left, Vec512 right) => new(left.Value | right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 operator ^(Vec512 left, Vec512 right) => new(left.Value ^ right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 MultiplyAdd(Vec512 a, Vec512 b, Vec512 c) => new(Vector512.MultiplyAddEstimate(a.Value, b.Value, c.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Sqrt(Vec512 value) => new(Vector512.Sqrt(value.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Abs(Vec512 value) => new(Vector512.Abs(value.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Max(Vec512 left, Vec512 right) => new(Vector512.Max(left.Value, right.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 GreaterThan(Vec512 left, Vec512 right) => new(Vector512.GreaterThan(left.Value, right.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 LessThan(Vec512 left, Vec512 right) => new(Vector512.LessThan(left.Value, right.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 LessThanOrEqual(Vec512 left, Vec512 right) => new(Vector512.LessThanOrEqual(left.Value, right.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 Select(Vec512 mask, Vec512 whenTrue, Vec512 whenFalse) => new(Vector512.ConditionalSelect(mask.Value, whenTrue.Value, whenFalse.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 ShiftLeftBits(Vec512 value, [ConstantExpected(Min = 0, Max = 31)] int count) => new(Vector512.ShiftLeft(value.Value.AsInt32(), count).AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec512 AddBits(Vec512 left, Vec512 right) => new((left.Value.AsInt32() + right.Value.AsInt32()).AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vec512 value) => Vector512.Sum(value.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(Vec512 value) => Vec256.MaxAcross(new(Vector256.Max(value.Value.GetLower(), value.Value.GetUpper())));

    /// <summary>16 x 16: 4 x 4 transposes inside the 128-bit lanes (unpack, shuffle), then two rounds of lane shuffles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void TransposeSquare(float* source, nint sourceStride, float* destination, nint destinationStride)
    {
        if (!Avx512F.IsSupported)
        {
            Vec1.TransposeBlock(16, source, sourceStride, destination, destinationStride);
            return;
        }

        // u[4g + c], lane L: column 4L + c of rows 4g .. 4g+3.
        Vector512<float> u0, u1, u2, u3, u4, u5, u6, u7, u8, u9, u10, u11, u12, u13, u14, u15;
        InLanes(source, sourceStride, out u0, out u1, out u2, out u3);
        InLanes(source + 4 * sourceStride, sourceStride, out u4, out u5, out u6, out u7);
        InLanes(source + 8 * sourceStride, sourceStride, out u8, out u9, out u10, out u11);
        InLanes(source + 12 * sourceStride, sourceStride, out u12, out u13, out u14, out u15);
        AcrossLanes(u0, u4, u8, u12, destination, destinationStride);
        AcrossLanes(u1, u5, u9, u13, destination + destinationStride, destinationStride);
        AcrossLanes(u2, u6, u10, u14, destination + 2 * destinationStride, destinationStride);
        AcrossLanes(u3, u7, u11, u15, destination + 3 * destinationStride, destinationStride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void InLanes(float* rows, nint stride, out Vector512<float> c0, out Vector512<float> c1, out Vector512<float> c2, out Vector512<float> c3)
    {
        Vector512<float> r0 = Avx512F.LoadVector512(rows), r1 = Avx512F.LoadVector512(rows + stride),
            r2 = Avx512F.LoadVector512(rows + 2 * stride), r3 = Avx512F.LoadVector512(rows + 3 * stride);
        Vector512<float> t0 = Avx512F.UnpackLow(r0, r1), t1 = Avx512F.UnpackHigh(r0, r1), t2 = Avx512F.UnpackLow(r2, r3), t3 = Avx512F.UnpackHigh(r2, r3);
        c0 = Avx512F.Shuffle(t0, t2, 0x44);
        c1 = Avx512F.Shuffle(t0, t2, 0xEE);
        c2 = Avx512F.Shuffle(t1, t3, 0x44);
        c3 = Avx512F.Shuffle(t1, t3, 0xEE);
    }

    /// <summary>From the in-lane results of one column residue c (row groups g0..g3), columns c, c+4, c+8, c+12.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AcrossLanes(Vector512<float> g0, Vector512<float> g1, Vector512<float> g2, Vector512<float> g3, float* destination, nint stride)
    {
        Vector512<float> v = Avx512F.Shuffle4x128(g0, g1, 0x44), w = Avx512F.Shuffle4x128(g0, g1, 0xEE);
        Vector512<float> v2 = Avx512F.Shuffle4x128(g2, g3, 0x44), w2 = Avx512F.Shuffle4x128(g2, g3, 0xEE);
        Avx512F.Store(destination, Avx512F.Shuffle4x128(v, v2, 0x88));
        Avx512F.Store(destination + 4 * stride, Avx512F.Shuffle4x128(v, v2, 0xDD));
        Avx512F.Store(destination + 8 * stride, Avx512F.Shuffle4x128(w, w2, 0x88));
        Avx512F.Store(destination + 12 * stride, Avx512F.Shuffle4x128(w, w2, 0xDD));
    }
}
