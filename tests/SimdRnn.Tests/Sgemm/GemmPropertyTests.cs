using FsCheck.Xunit;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Sgemm;

/// <summary>Every in-process path equals the double-precision reference within the stated bound and writes only C.</summary>
public class GemmPropertyTests
{
    [Property(Arbitrary = [typeof(LargeGemmCases)], MaxTest = 25)]
    public void Large_shapes_match_reference_on_every_path(GemmCase c) => MatchesReferenceOnEveryPath(c);

    [Property(Arbitrary = [typeof(LargeGemmCases)], MaxTest = 25)]
    public void Large_shapes_packed_b_is_bitwise_the_unpacked_result(GemmCase c) => PackedEqualsUnpacked(c);

    internal static void MatchesReferenceOnEveryPath(GemmCase c)
    {
        foreach (SimdPath path in TestPaths.InProcess)
        {
            Guarded result = c.NewC();
            float[] initial = result.ToArray();
            c.Run(result.Span, path);
            c.AssertMatchesReference(result, initial, path.ToString());
        }
    }

    internal static void PackedEqualsUnpacked(GemmCase c)
    {
        foreach (SimdPath path in TestPaths.InProcess)
        {
            Guarded unpacked = c.NewC();
            c.Run(unpacked.Span, path);

            PackedMatrix packed = PackedMatrix.Pack(c.OpB, c.K, c.N, c.B, c.Ldb, path);
            Guarded result = c.NewC();
            SimdRnn.Gemm.Multiply(c.OpA, c.M, c.Alpha, c.A, c.Lda, packed, c.Beta, result.Span, c.Ldc, 1);
            result.AssertGuardsIntact();
            Assert.True(Bitwise(unpacked.ToArray()).SequenceEqual(Bitwise(result.ToArray())), $"{path} {c}: packed result differs");
        }
    }

    internal static int[] Bitwise(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}

/// <summary>The same properties on small shapes (M, N, K &lt;= 40): the kernel set, cheap enough for emulated ARM64.</summary>
[Trait("Category", "Kernel")]
public class GemmKernelPropertyTests
{
    [Property(Arbitrary = [typeof(SmallGemmCases)], MaxTest = 60)]
    public void Small_shapes_match_reference_on_every_path(GemmCase c) =>
        GemmPropertyTests.MatchesReferenceOnEveryPath(c);

    [Property(Arbitrary = [typeof(SmallGemmCases)], MaxTest = 30)]
    public void Small_shapes_packed_b_is_bitwise_the_unpacked_result(GemmCase c) =>
        GemmPropertyTests.PackedEqualsUnpacked(c);
}
