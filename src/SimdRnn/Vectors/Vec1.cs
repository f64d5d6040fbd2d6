using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace SimdRnn.Vectors;

/// <summary>
/// One float: the scalar path. Kernels instantiated with it are the same code as the vector paths, one lane
/// wide, so the scalar path runs the same approximations. Multiply-add is unfused (a software FMA would be slow
/// without hardware intrinsics).
/// </summary>
internal readonly struct Vec1(float value) : IVector<Vec1>
{
    public readonly float Value = value;

    public static int Count => 1;
    public static Vec1 Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 Create(float value) => new(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe Vec1 Broadcast(float* source) => new(*source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 Load(ref readonly float source, nuint index) => new(Unsafe.Add(ref Unsafe.AsRef(in source), index));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vec1 value, ref float destination, nuint index) => Unsafe.Add(ref destination, index) = value.Value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 operator +(Vec1 left, Vec1 right) => new(left.Value + right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 operator -(Vec1 left, Vec1 right) => new(left.Value - right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 operator *(Vec1 left, Vec1 right) => new(left.Value * right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 operator /(Vec1 left, Vec1 right) => new(left.Value / right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 operator -(Vec1 value) => new(-value.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 operator &(Vec1 left, Vec1 right) => FromBits(Bits(left) & Bits(right));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 operator |(Vec1 left, Vec1 right) => FromBits(Bits(left) | Bits(right));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 operator ^(Vec1 left, Vec1 right) => FromBits(Bits(left) ^ Bits(right));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 MultiplyAdd(Vec1 a, Vec1 b, Vec1 c) => new(a.Value * b.Value + c.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 Sqrt(Vec1 value) => new(MathF.Sqrt(value.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 Abs(Vec1 value) => new(MathF.Abs(value.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 Max(Vec1 left, Vec1 right) => new(MathF.Max(left.Value, right.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 GreaterThan(Vec1 left, Vec1 right) => Mask(left.Value > right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 LessThan(Vec1 left, Vec1 right) => Mask(left.Value < right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 LessThanOrEqual(Vec1 left, Vec1 right) => Mask(left.Value <= right.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 Select(Vec1 mask, Vec1 whenTrue, Vec1 whenFalse) => Bits(mask) != 0 ? whenTrue : whenFalse;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 ShiftLeftBits(Vec1 value, [ConstantExpected(Min = 0, Max = 31)] int count) => FromBits(Bits(value) << count);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vec1 AddBits(Vec1 left, Vec1 right) => FromBits(Bits(left) + Bits(right));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vec1 value) => value.Value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(Vec1 value) => value.Value;

    private static int Bits(Vec1 value) => BitConverter.SingleToInt32Bits(value.Value);
    private static Vec1 FromBits(int bits) => new(BitConverter.Int32BitsToSingle(bits));
    private static Vec1 Mask(bool condition) => FromBits(condition ? -1 : 0);

    public static unsafe void TransposeSquare(float* source, nint sourceStride, float* destination, nint destinationStride) =>
        *destination = *source;

    /// <summary>The element-by-element transpose of a size x size block (the fallback of the vector types).</summary>
    public static unsafe void TransposeBlock(int size, float* source, nint sourceStride, float* destination, nint destinationStride)
    {
        for (int i = 0; i < size; i++)
            for (int j = 0; j < size; j++) destination[j * destinationStride + i] = source[i * sourceStride + j];
    }
}
