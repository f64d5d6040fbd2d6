using SimdRnn.Sgemm;
using SimdRnn.Tests.Support;
using SimdRnn.Vectors;

namespace SimdRnn.Tests.Sgemm;

/// <summary>
/// The packers write exactly the documented panel layout, bitwise, into a NaN-filled buffer, on every in-process path:
/// A as MR-row panels of alpha * op(A) (zeros past the block's rows), B as NR-column panels of op(B) (zeros past its
/// columns), bfloat16 B as W-word lines (word i: column i low, column W + i high). Blocks start inside the stored
/// matrices (offsets i0, k0, j0 and a leading dimension wider than the block), with depths and widths that are and are
/// not multiples of the vector width, so every vector body and scalar tail of the packers runs. (Padding never reaches
/// C, so only this test sees it: zeros keep an edge tile's discarded lanes finite.) Each pack writes into memory of
/// exactly the packed length followed by an inaccessible page: a write past the last panel crashes the test.
/// </summary>
[Trait("Category", "Kernel")]
public class PackingLayoutTests
{
    private static readonly int[] Depths = [1, 3, 4, 8, 13, 16, 35];
    private static readonly int[] Widths = [1, 3, 4, 5, 8, 13, 16, 33, 40];

    [Theory, MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    public void Packed_a_is_mr_row_panels_of_alpha_op_a_with_zero_padding(SimdPath path)
    {
        var check = new PackACheck();
        WidthDispatch.Run(ref check, path);
    }

    [Theory, MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    public void Packed_b_is_nr_column_panels_of_op_b_with_zero_padding(SimdPath path)
    {
        var check = new PackBCheck();
        WidthDispatch.Run(ref check, path);
    }

    /// <summary>
    /// AVX-512's panels on any machine (Vector512 runs in software where the CPU lacks it): its A panels are eight rows,
    /// packed through the 8 x 8 transposes no narrower path takes.
    /// </summary>
    [Fact]
    public void Avx512_panels_are_laid_out_as_documented_on_any_cpu()
    {
        new PackACheck().Run<Vec512>();
        new PackBCheck().Run<Vec512>();
    }

    /// <summary>
    /// On every width: NR is two vectors, the tile fits the edge-tile stack buffer (MaxMr x MaxNr), an A block is whole
    /// MR-row panels and a B block whole NR-column panels.
    /// </summary>
    [Fact]
    public void Blocking_sizes_nest_as_documented()
    {
        AssertBlocking<Vec1>();
        AssertBlocking<Vec128>();
        AssertBlocking<Vec256>();
        AssertBlocking<Vec512>();
    }

    private static void AssertBlocking<TVec>() where TVec : struct, IVector<TVec>
    {
        int mr = GemmBlocking.Mr<TVec>(), nr = GemmBlocking.Nr<TVec>();
        Assert.Equal(2 * TVec.Count, nr);
        Assert.InRange(mr, 1, GemmBlocking.MaxMr);
        Assert.InRange(nr, 1, GemmBlocking.MaxNr);
        Assert.True(GemmBlocking.Mc<TVec>() >= mr && GemmBlocking.Mc<TVec>() % mr == 0, $"W={TVec.Count}: MC {GemmBlocking.Mc<TVec>()} is not whole MR={mr} panels");
        Assert.True(GemmBlocking.Nc<TVec>() >= nr && GemmBlocking.Nc<TVec>() % nr == 0, $"W={TVec.Count}: NC {GemmBlocking.Nc<TVec>()} is not whole NR={nr} panels");
        Assert.True(GemmBlocking.Kc<TVec>() > 0);
    }

    private const int I0 = 2, K0 = 3, J0 = 1, Spare = 3;

    /// <summary>A stored matrix of <paramref name="rows"/> x <paramref name="columns"/> (ld = columns + <see cref="Spare"/>) of distinct values.</summary>
    private static float[] Stored(int rows, int columns) =>
        [.. Enumerable.Range(0, rows * (columns + Spare)).Select(i => MathF.Sin(0.7f * i + 0.3f) * 3)];

    private static float[] NaNs(long length) => [.. Enumerable.Repeat(float.NaN, (int)length)];

    private struct PackACheck : IWidthKernel
    {
        public unsafe void Run<TVec>() where TVec : struct, IVector<TVec>
        {
            int mr = GemmBlocking.Mr<TVec>();
            foreach (bool transpose in new[] { false, true })
                foreach (float alpha in new[] { 1f, -0.75f })
                    foreach (int kc in Depths)
                        foreach (int mc in new[] { 1, 3, 4, mr - 1, mr, mr + 1, 2 * mr + 5 })
                        {
                            // op(A) is (I0 + mc) x (K0 + kc); stored transposed it is (K0 + kc) x (I0 + mc).
                            int m = I0 + mc, k = K0 + kc;
                            (int storedRows, int storedColumns) = transpose ? (k, m) : (m, k);
                            float[] a = Stored(storedRows, storedColumns);
                            int lda = storedColumns + Spare, panels = (mc + mr - 1) / mr;
                            float[] packed = NaNs((long)panels * mr * kc);
                            fixed (float* aPointer = a)
                            using (var dst = GuardPageMemory<float>.CopyOf(packed, GuardSide.After))
                            {
                                Packing.PackA<TVec>(new GemmOperands { A = aPointer, Lda = lda, TransposeA = transpose, Alpha = alpha }, I0, mc, K0, kc, dst.Start);
                                dst.GetSpan().CopyTo(packed);
                            }

                            for (int p = 0; p < panels; p++)
                                for (int kk = 0; kk < kc; kk++)
                                    for (int r = 0; r < mr; r++)
                                    {
                                        int row = p * mr + r;
                                        float expected = row >= mc ? 0f
                                            : alpha * (transpose ? a[(K0 + kk) * lda + I0 + row] : a[(I0 + row) * lda + K0 + kk]);
                                        float actual = packed[(p * kc + kk) * mr + r];
                                        if (BitConverter.SingleToInt32Bits(expected) != BitConverter.SingleToInt32Bits(actual))
                                            Assert.Fail($"W={TVec.Count} transposeA={transpose} alpha={alpha} mc={mc} kc={kc}: panel {p} k {kk} row {r} is {actual}, expected {expected}");
                                    }
                        }
        }
    }

    private struct PackBCheck : IWidthKernel
    {
        public unsafe void Run<TVec>() where TVec : struct, IVector<TVec>
        {
            int nr = GemmBlocking.Nr<TVec>(), width = TVec.Count;
            foreach (bool transpose in new[] { false, true })
                foreach (int kc in Depths)
                    foreach (int nc in Widths.Append(nr - 1).Append(nr).Append(2 * nr + 3))
                    {
                        // op(B) is (K0 + kc) x (J0 + nc); stored transposed it is (J0 + nc) x (K0 + kc).
                        int k = K0 + kc, n = J0 + nc;
                        (int storedRows, int storedColumns) = transpose ? (n, k) : (k, n);
                        float[] b = Stored(storedRows, storedColumns);
                        int ldb = storedColumns + Spare, panels = (nc + nr - 1) / nr;
                        float[] packed = NaNs((long)panels * nr * kc), packedBFloat16 = NaNs((long)panels * width * kc);
                        fixed (float* bPointer = b)
                        using (var dst = GuardPageMemory<float>.CopyOf(packed, GuardSide.After))
                        using (var dstBFloat16 = GuardPageMemory<float>.CopyOf(packedBFloat16, GuardSide.After))
                        {
                            Packing.PackB<TVec>(bPointer, ldb, transpose, K0, kc, J0, nc, dst.Start);
                            Packing.PackBBFloat16<TVec>(bPointer, ldb, transpose, K0, kc, J0, nc, dstBFloat16.Start);
                            dst.GetSpan().CopyTo(packed);
                            dstBFloat16.GetSpan().CopyTo(packedBFloat16);
                        }

                        float Op(int kk, int column) => column >= nc ? 0f
                            : transpose ? b[(J0 + column) * ldb + K0 + kk] : b[(K0 + kk) * ldb + J0 + column];
                        string what = $"W={TVec.Count} transposeB={transpose} nc={nc} kc={kc}";
                        for (int q = 0; q < panels; q++)
                            for (int kk = 0; kk < kc; kk++)
                            {
                                for (int j = 0; j < nr; j++)
                                {
                                    float expected = Op(kk, q * nr + j), actual = packed[(q * kc + kk) * nr + j];
                                    if (BitConverter.SingleToInt32Bits(expected) != BitConverter.SingleToInt32Bits(actual))
                                        Assert.Fail($"{what}: panel {q} k {kk} column {j} is {actual}, expected {expected}");
                                }

                                for (int i = 0; i < width; i++)
                                {
                                    uint expected = BFloat16Panel.Round(Op(kk, q * nr + i)) | (uint)BFloat16Panel.Round(Op(kk, q * nr + width + i)) << 16;
                                    uint actual = BitConverter.SingleToUInt32Bits(packedBFloat16[(q * kc + kk) * width + i]);
                                    if (expected != actual) Assert.Fail($"{what} bfloat16: panel {q} k {kk} word {i} is {actual:x8}, expected {expected:x8}");
                                }
                            }
                    }
        }
    }
}
