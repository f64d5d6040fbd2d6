using System.Diagnostics.CodeAnalysis;

namespace SimdRnn.Vectors;

/// <summary>
/// A float vector of one width. Kernels are written once against this interface and instantiated with
/// <see cref="Vec512"/>, <see cref="Vec256"/>, <see cref="Vec128"/> or <see cref="Vec1"/> (the scalar path);
/// the JIT specialises each instantiation and inlines the members, so the generated code is the same as
/// code written against <c>Vector512&lt;float&gt;</c> directly.
/// Masks are vectors whose lanes are all-ones (true) or all-zeros (false).
/// </summary>
internal interface IVector<TSelf> where TSelf : struct, IVector<TSelf>
{
    static abstract int Count { get; }
    static abstract TSelf Zero { get; }
    static abstract TSelf Create(float value);

    /// <summary>
    /// <see cref="Create"/> of the float at <paramref name="source"/>, as one broadcast load where the ISA has it: the
    /// JIT otherwise loads the scalar and broadcasts it from a register, a shuffle on the FMA ports of some CPUs.
    /// </summary>
    static abstract unsafe TSelf Broadcast(float* source);
    static abstract TSelf Load(ref readonly float source, nuint index);
    static abstract void Store(TSelf value, ref float destination, nuint index);

    static abstract TSelf operator +(TSelf left, TSelf right);
    static abstract TSelf operator -(TSelf left, TSelf right);
    static abstract TSelf operator *(TSelf left, TSelf right);
    static abstract TSelf operator /(TSelf left, TSelf right);
    static abstract TSelf operator -(TSelf value);
    static abstract TSelf operator &(TSelf left, TSelf right);
    static abstract TSelf operator |(TSelf left, TSelf right);
    static abstract TSelf operator ^(TSelf left, TSelf right);

    /// <summary>a * b + c, fused where the path has FMA (AVX2, AVX-512, AdvSimd), two roundings otherwise.</summary>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf c);

    static abstract TSelf Abs(TSelf value);

    /// <summary>Correctly rounded square root.</summary>
    static abstract TSelf Sqrt(TSelf value);

    /// <summary>The larger value; NaN if either is NaN.</summary>
    static abstract TSelf Max(TSelf left, TSelf right);

    static abstract TSelf GreaterThan(TSelf left, TSelf right);
    static abstract TSelf LessThan(TSelf left, TSelf right);
    static abstract TSelf LessThanOrEqual(TSelf left, TSelf right);

    /// <summary>
    /// Lane-wise <paramref name="mask"/> ? <paramref name="whenTrue"/> : <paramref name="whenFalse"/>; each mask lane is all ones or
    /// all zeros (a comparison's result), so a blend on the sign bit is the same select.
    /// </summary>
    static abstract TSelf Select(TSelf mask, TSelf whenTrue, TSelf whenFalse);

    /// <summary>Shifts the 32-bit integer bit pattern of each lane left.</summary>
    static abstract TSelf ShiftLeftBits(TSelf value, [ConstantExpected(Min = 0, Max = 31)] int count);

    /// <summary>Adds the 32-bit integer bit patterns of the lanes.</summary>
    static abstract TSelf AddBits(TSelf left, TSelf right);

    static abstract float Sum(TSelf value);

    /// <summary>The largest lane; NaN if any lane is NaN.</summary>
    static abstract float MaxAcross(TSelf value);

    /// <summary>
    /// Writes the transpose of the Count x Count block at <paramref name="source"/> (rows <paramref name="sourceStride"/>
    /// floats apart) to <paramref name="destination"/> (rows <paramref name="destinationStride"/> apart); the packing
    /// of a transposed matrix operand.
    /// </summary>
    static abstract unsafe void TransposeSquare(float* source, nint sourceStride, float* destination, nint destinationStride);
}
