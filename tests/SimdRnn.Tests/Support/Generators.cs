using FsCheck;
using FsCheck.Fluent;

namespace SimdRnn.Tests.Support;

/// <summary>FsCheck generators shared by the kernel properties.</summary>
public static class Generators
{
    /// <summary>Mostly ordinary values, with huge, tiny and special values mixed in.</summary>
    public static Gen<float> KernelFloat { get; } = Gen.Frequency(
        (12, Gen.Choose(-2_000_000, 2_000_000).Select(i => i / 100_000f)),
        (2, Gen.Choose(-1_000_000, 1_000_000).Select(i => i / 1_000f)),
        (1, Gen.Elements(Special.Values)),
        (1, Gen.Choose(int.MinValue, int.MaxValue).Select(BitConverter.Int32BitsToSingle)));

    /// <summary>Arrays of 0..5000 floats (every tail length of every vector width appears).</summary>
    public static Gen<float[]> KernelArray(int maxLength = 5000) =>
        Gen.Choose(0, maxLength).SelectMany(length => KernelFloat.ArrayOf(length));
}

public sealed record ActivationCase(float[] X, float[] Dy, SimdPath Path)
{
    public override string ToString() => $"{Path}, length {X.Length}";
}

public static class KernelArbitraries
{
    public static Arbitrary<ActivationCase> ActivationCase() =>
        (from x in Generators.KernelArray()
         from dy in Generators.KernelFloat.ArrayOf(x.Length)
         from path in Gen.Elements(TestPaths.InProcess.ToArray())
         select new ActivationCase(x, dy, path)).ToArbitrary();
}
