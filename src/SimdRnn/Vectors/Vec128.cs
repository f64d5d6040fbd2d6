using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace SimdRnn.Vectors;

/// <summary>4 floats (SSE, AdvSimd or portable Vector128). See <see cref="IVector{TSelf}"/>.</summary>
internal readonly struct Vec128(Vector128<float> value) : IVector<Vec128>
{
    public readonly Vector128<float> Value = value;

    public static int Count => Vector128<float>.Count;
    public static Vec128 Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Create(float value) => new(Vector128.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vec128 Broadcast(float* source) =>
        Avx.IsSupported ? new(Avx.BroadcastScalarToVector128(source))
        : AdvSimd.IsSupported ? new(AdvSimd.LoadAndReplicateToVector128(source))
        : Create(*source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Load(ref readonly float source, nuint index) => new(Vector128.LoadUnsafe(in source, index));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vec128 value, ref float destination, nuint index) => value.Value.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 operator +(Vec128 left, Vec128 right) => new(left.Value + right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 operator -(Vec128 left, Vec128 right) => new(left.Value - right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 operator *(Vec128 left, Vec128 right) => new(left.Value * right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 operator /(Vec128 left, Vec128 right) => new(left.Value / right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 operator -(Vec128 value) => new(-value.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 operator &(Vec128 left, Vec128 right) => new(left.Value & right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 operator |(Vec128 left, Vec128 right) => new(left.Value | right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 operator ^(Vec128 left, Vec128 right) => new(left.Value ^ right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 MultiplyAdd(Vec128 a, Vec128 b, Vec128 c) => new(Vector128.MultiplyAddEstimate(a.Value, b.Value, c.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Sqrt(Vec128 value) => new(Vector128.Sqrt(value.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Abs(Vec128 value) => new(Vector128.Abs(value.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Max(Vec128 left, Vec128 right) => new(Vector128.Max(left.Value, right.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 GreaterThan(Vec128 left, Vec128 right) => new(Vector128.GreaterThan(left.Value, right.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 LessThan(Vec128 left, Vec128 right) => new(Vector128.LessThan(left.Value, right.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 LessThanOrEqual(Vec128 left, Vec128 right) => new(Vector128.LessThanOrEqual(left.Value, right.Value));
    // One blend instead of the and / and-not / or the JIT makes of ConditionalSelect (the masks are whole lanes).
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 Select(Vec128 mask, Vec128 whenTrue, Vec128 whenFalse) => Sse41.IsSupported ? new(Sse41.BlendVariable(whenFalse.Value, whenTrue.Value, mask.Value)) : new(Vector128.ConditionalSelect(mask.Value, whenTrue.Value, whenFalse.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 ShiftLeftBits(Vec128 value, [ConstantExpected(Min = 0, Max = 31)] int count) => new(Vector128.ShiftLeft(value.Value.AsInt32(), count).AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec128 AddBits(Vec128 left, Vec128 right) => new((left.Value.AsInt32() + right.Value.AsInt32()).AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vec128 value) => Vector128.Sum(value.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vec128 value)
    {
        // Math.Max propagates NaN, unlike the native max instructions.
        Vector128<float> v = value.Value;
        return MathF.Max(MathF.Max(v[0], v[1]), MathF.Max(v[2], v[3]));
    }

    /// <summary>4 x 4: interleave 32-bit pairs, then 64-bit pairs (SSE or AdvSimd; element by element elsewhere).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void TransposeSquare(float* source, nint sourceStride, float* destination, nint destinationStride)
    {
        Vector128<float> r0 = Vector128.Load(source), r1 = Vector128.Load(source + sourceStride),
            r2 = Vector128.Load(source + 2 * sourceStride), r3 = Vector128.Load(source + 3 * sourceStride);
        Vector128<float> t0, t1, t2, t3;
        if (Sse.IsSupported)
        {
            t0 = Sse.UnpackLow(r0, r1);
            t1 = Sse.UnpackHigh(r0, r1);
            t2 = Sse.UnpackLow(r2, r3);
            t3 = Sse.UnpackHigh(r2, r3);
            Sse.Store(destination, Sse.MoveLowToHigh(t0, t2));
            Sse.Store(destination + destinationStride, Sse.MoveHighToLow(t2, t0));
            Sse.Store(destination + 2 * destinationStride, Sse.MoveLowToHigh(t1, t3));
            Sse.Store(destination + 3 * destinationStride, Sse.MoveHighToLow(t3, t1));
        }
        else if (AdvSimd.Arm64.IsSupported)
        {
            t0 = AdvSimd.Arm64.ZipLow(r0, r1);
            t1 = AdvSimd.Arm64.ZipHigh(r0, r1);
            t2 = AdvSimd.Arm64.ZipLow(r2, r3);
            t3 = AdvSimd.Arm64.ZipHigh(r2, r3);
            AdvSimd.Arm64.ZipLow(t0.AsDouble(), t2.AsDouble()).AsSingle().Store(destination);
            AdvSimd.Arm64.ZipHigh(t0.AsDouble(), t2.AsDouble()).AsSingle().Store(destination + destinationStride);
            AdvSimd.Arm64.ZipLow(t1.AsDouble(), t3.AsDouble()).AsSingle().Store(destination + 2 * destinationStride);
            AdvSimd.Arm64.ZipHigh(t1.AsDouble(), t3.AsDouble()).AsSingle().Store(destination + 3 * destinationStride);
        }
        else
        {
            Vec1.TransposeBlock(4, source, sourceStride, destination, destinationStride);
        }
    }
}
