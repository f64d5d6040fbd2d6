using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace SimdRnn.Vectors;

/// <summary>
/// Two vectors of <typeparamref name="TVec"/> side by side (2 W consecutive floats), every operation applied to each
/// half. Code written once over <see cref="IVector{TSelf}"/> then runs two independent chains interleaved: a
/// latency-bound body (an activation's polynomial, exp and division, then the cell's dependent steps) keeps twice
/// the work in flight. Each lane takes exactly the operations it takes with <typeparamref name="TVec"/>, so results
/// are bitwise the same.
/// </summary>
internal readonly struct VecPair<TVec>(TVec low, TVec high) : IVector<VecPair<TVec>> where TVec : struct, IVector<TVec>
{
    public readonly TVec Low = low, High = high;

    public static int Count => 2 * TVec.Count;
    public static VecPair<TVec> Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static VecPair<TVec> Create(float value) => new(TVec.Create(value), TVec.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe VecPair<TVec> Broadcast(float* source) => new(TVec.Broadcast(source), TVec.Broadcast(source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static VecPair<TVec> Load(ref readonly float source, nuint index) => new(TVec.Load(in source, index), TVec.Load(in source, index + (nuint)TVec.Count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(VecPair<TVec> value, ref float destination, nuint index)
    {
        TVec.Store(value.Low, ref destination, index);
        TVec.Store(value.High, ref destination, index + (nuint)TVec.Count);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static VecPair<TVec> operator +(VecPair<TVec> left, VecPair<TVec> right) => new(left.Low + right.Low, left.High + right.High);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static VecPair<TVec> operator -(VecPair<TVec> left, VecPair<TVec> right) => new(left.Low - right.Low, left.High - right.High);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static VecPair<TVec> operator *(VecPair<TVec> left, VecPair<TVec> right) => new(left.Low * right.Low, left.High * right.High);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static VecPair<TVec> operator /(VecPair<TVec> left, VecPair<TVec> right) => new(left.Low / right.Low, left.High / right.High);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static VecPair<TVec> operator -(VecPair<TVec> value) => new(-value.Low, -value.High);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static VecPair<TVec> operator &(VecPair<TVec> left, VecPair<TVec> right) => new(left.Low & right.Low, left.High & right.High);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static VecPair<TVec> operator |(VecPair<TVec> left, VecPair<TVec> right) => new(left.Low | right.Low, left.High | right.High);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static VecPair<TVec> operator ^(VecPair<TVec> left, VecPair<TVec> right) => new(left.Low ^ right.Low, left.High ^ right.High);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static VecPair<TVec> MultiplyAdd(VecPair<TVec> a, VecPair<TVec> b, VecPair<TVec> c) => new(TVec.MultiplyAdd(a.Low, b.Low, c.Low), TVec.MultiplyAdd(a.High, b.High, c.High));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static VecPair<TVec> Abs(VecPair<TVec> value) => new(TVec.Abs(value.Low), TVec.Abs(value.High));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static VecPair<TVec> Sqrt(VecPair<TVec> value) => new(TVec.Sqrt(value.Low), TVec.Sqrt(value.High));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static VecPair<TVec> Max(VecPair<TVec> left, VecPair<TVec> right) => new(TVec.Max(left.Low, right.Low), TVec.Max(left.High, right.High));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static VecPair<TVec> GreaterThan(VecPair<TVec> left, VecPair<TVec> right) => new(TVec.GreaterThan(left.Low, right.Low), TVec.GreaterThan(left.High, right.High));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static VecPair<TVec> LessThan(VecPair<TVec> left, VecPair<TVec> right) => new(TVec.LessThan(left.Low, right.Low), TVec.LessThan(left.High, right.High));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static VecPair<TVec> LessThanOrEqual(VecPair<TVec> left, VecPair<TVec> right) => new(TVec.LessThanOrEqual(left.Low, right.Low), TVec.LessThanOrEqual(left.High, right.High));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static VecPair<TVec> Select(VecPair<TVec> mask, VecPair<TVec> whenTrue, VecPair<TVec> whenFalse) => new(TVec.Select(mask.Low, whenTrue.Low, whenFalse.Low), TVec.Select(mask.High, whenTrue.High, whenFalse.High));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static VecPair<TVec> ShiftLeftBits(VecPair<TVec> value, [ConstantExpected(Min = 0, Max = 31)] int count) => new(TVec.ShiftLeftBits(value.Low, count), TVec.ShiftLeftBits(value.High, count));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static VecPair<TVec> AddBits(VecPair<TVec> left, VecPair<TVec> right) => new(TVec.AddBits(left.Low, right.Low), TVec.AddBits(left.High, right.High));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(VecPair<TVec> value) => TVec.Sum(value.Low) + TVec.Sum(value.High);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(VecPair<TVec> value) => TVec.MaxAcross(TVec.Max(value.Low, value.High));

    /// <summary>2W x 2W as four W x W blocks: [A B; C D] becomes [A' C'; B' D'].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void TransposeSquare(float* source, nint sourceStride, float* destination, nint destinationStride)
    {
        int w = TVec.Count;
        TVec.TransposeSquare(source, sourceStride, destination, destinationStride);
        TVec.TransposeSquare(source + w, sourceStride, destination + w * destinationStride, destinationStride);
        TVec.TransposeSquare(source + w * sourceStride, sourceStride, destination + w, destinationStride);
        TVec.TransposeSquare(source + w * sourceStride + w, sourceStride, destination + w * destinationStride + w, destinationStride);
    }
}
