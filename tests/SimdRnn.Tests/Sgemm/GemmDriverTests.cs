using SimdRnn.Execution;
using SimdRnn.Sgemm;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Sgemm;

/// <summary>
/// The driver's pieces the public products do not show alone: a team member's tile of a packed product
/// (<see cref="GemmKernel.MultiplyPackedTile"/>, as the layers' step loops call it) and the streaming small-M path
/// over several column chunks and B alignments.
/// </summary>
public class GemmDriverTests
{
    private const float Padding = -7777.5f;

    /// <summary>
    /// Tiles cut at any rows and at multiples of <see cref="GemmKernel.ColumnUnit"/> compose the whole packed product
    /// bitwise (float32 and bfloat16 panels, beta 0 over NaN and beta 1, several KC, MC and NC blocks); one tile alone
    /// writes only its range, and an empty range writes nothing.
    /// </summary>
    [Fact]
    public unsafe void Tiles_of_a_packed_product_compose_the_whole_product_and_write_only_their_range()
    {
        var random = new Random(23);
        foreach (SimdPath path in TestPaths.InProcess)
            foreach (PanelFormat format in new[] { PanelFormat.Float32, PanelFormat.BFloat16 })
                foreach ((int m, int n, int k) in new[] { (1, 45, 7), (2, 70, 33), (9, 37, 600), (14, 100, 17), (2, 4133, 5), (150, 20, 9) })
                    foreach (float beta in new[] { 0f, 1f })
                    {
                        string what = $"{path} {format} m={m} n={n} k={k} beta={beta}";
                        int unit = GemmKernel.ColumnUnit(path), lda = k + 2, ldc = n + 3;
                        float[] a = Values(random, m * lda);
                        float[] b = Values(random, k * n);
                        float[] initial = new float[m * ldc];
                        for (int i = 0; i < initial.Length; i++)
                            initial[i] = i % ldc >= n ? Padding : beta == 0f ? float.NaN : random.NextSingle() * 2f - 1f;

                        var buffer = new float[PackedMatrix.BufferLength(k, n, format)];
                        Span<float> panels = PackedMatrix.PackInto(new KernelContext(path, 1), MatrixOp.None, k, n, b, n, buffer, format);
                        float[] whole = (float[])initial.Clone();
                        GemmKernel.MultiplyPacked(new KernelContext(path, 1), MatrixOp.None, m, n, k, 1f, a, lda, panels, beta, whole, ldc, format);

                        int[] rowCuts = [.. new[] { 0, m / 3, m - m / 4, m }.Distinct().Order()];
                        int[] columnCuts = [.. new[] { 0, unit, 3 * unit, n }.Where(j => j <= n).Distinct().Order()];
                        float[] tiled = (float[])initial.Clone();
                        float[] alone = (float[])initial.Clone();
                        int oneRow0 = m / 3, oneColumn0 = columnCuts.Length > 2 ? columnCuts[1] : 0;
                        fixed (float* aPointer = a, packed = panels, tiledPointer = tiled, alonePointer = alone)
                        {
                            for (int r = 0; r + 1 < rowCuts.Length; r++)
                                for (int q = 0; q + 1 < columnCuts.Length; q++)
                                    GemmKernel.MultiplyPackedTile(path, rowCuts[r], rowCuts[r + 1], columnCuts[q], columnCuts[q + 1], n, k,
                                        aPointer, lda, packed, beta, tiledPointer, ldc, format);

                            // One tile from a middle row to the end, from the second column cut to the end; then empty ranges.
                            GemmKernel.MultiplyPackedTile(path, oneRow0, m, oneColumn0, n, n, k, aPointer, lda, packed, beta, alonePointer, ldc, format);
                            GemmKernel.MultiplyPackedTile(path, 0, 0, 0, n, n, k, aPointer, lda, packed, beta, alonePointer, ldc, format);
                            GemmKernel.MultiplyPackedTile(path, m, 0, 0, n, n, k, aPointer, lda, packed, beta, alonePointer, ldc, format);
                            GemmKernel.MultiplyPackedTile(path, 0, m, unit, unit, n, k, aPointer, lda, packed, beta, alonePointer, ldc, format);
                            GemmKernel.MultiplyPackedTile(path, 0, m, Math.Min(n, 2 * unit), 0, n, k, aPointer, lda, packed, beta, alonePointer, ldc, format);
                        }

                        for (int i = 0; i < whole.Length; i++)
                        {
                            if (Bits(tiled[i]) != Bits(whole[i]))
                                Assert.Fail($"{what}: tiles (rows {string.Join(",", rowCuts)}, columns {string.Join(",", columnCuts)}) give C[{i / ldc},{i % ldc}] = {tiled[i]:R}, the whole product {whole[i]:R}");
                            int row = i / ldc, column = i % ldc;
                            bool inTile = row >= oneRow0 && column >= oneColumn0 && column < n;
                            if (Bits(alone[i]) != Bits(inTile ? whole[i] : initial[i]))
                                Assert.Fail($"{what}: the tile [{oneRow0}, {m}) x [{oneColumn0}, {n}) leaves C[{row},{column}] = {alone[i]:R}, expected {(inTile ? whole[i] : initial[i]):R}");
                        }
                    }
    }

    /// <summary>
    /// A product of 1 to 4 rows with B as stored (the streaming path, in 16384-column chunks) wider than two chunks is
    /// bitwise the product with B packed (the blocked path), with B starting at a different float offset for each row
    /// count (the streaming loop starts at B's first aligned vector, so the head before it changes), beta 0 over NaN
    /// and beta 1 taking turns, and leaves C's ld padding alone.
    /// </summary>
    [Fact]
    public void Few_row_products_wider_than_two_streaming_chunks_are_bitwise_the_packed_product()
    {
        const int n = 2 * 16384 + 37, k = 11, ldc = n + 2;
        var random = new Random(31);
        float[] storage = Values(random, k * n + 8);
        float[] a = Values(random, 4 * k);
        foreach (SimdPath path in TestPaths.InProcess)
            for (int m = 1; m <= 4; m++)
            {
                int offset = 3 * m % 8; // 3, 6, 1, 4
                float beta = m % 2 == 0 ? 1f : 0f;
                ReadOnlySpan<float> b = storage.AsSpan(offset, k * n);
                PackedMatrix packed = PackedMatrix.Pack(MatrixOp.None, k, n, b, n, path);
                var initial = new float[m * ldc];
                for (int i = 0; i < initial.Length; i++)
                    initial[i] = i % ldc >= n ? Padding : beta == 0f ? float.NaN : random.NextSingle() - 0.5f;
                float[] streamed = (float[])initial.Clone(), blocked = (float[])initial.Clone();
                SimdRnn.Gemm.Multiply(MatrixOp.None, MatrixOp.None, m, n, k, 0.75f, a, k, b, n, beta, streamed, ldc, 1, path);
                SimdRnn.Gemm.Multiply(MatrixOp.None, m, 0.75f, a, k, packed, beta, blocked, ldc, 1);
                for (int i = 0; i < streamed.Length; i++)
                    if (Bits(streamed[i]) != Bits(blocked[i]))
                        Assert.Fail($"{path} B at +{offset} m={m} beta={beta}: C[{i / ldc},{i % ldc}] streamed {streamed[i]:R}, packed {blocked[i]:R}");
                for (int row = 0; row < m; row++)
                    for (int j = n; j < ldc; j++) Assert.Equal(Padding, streamed[row * ldc + j]);
            }
    }

    /// <summary>
    /// Products just large enough to split over 7 threads (2^21 flop-equivalents per part): by column panels, by row
    /// panels (C taller than wide, K past one KC block), the streaming path's vector columns, and a single row panel
    /// under one column panel (nothing to split); each thread count is bitwise the single-threaded result and writes
    /// nothing past C (a cheaper companion of
    /// <see cref="GemmBehaviourTests.Result_is_bitwise_identical_for_1_2_3_and_7_threads"/>, for mutation runs).
    /// </summary>
    [Fact]
    public void Products_split_over_threads_are_bitwise_the_single_threaded_product()
    {
        foreach ((int m, int n, int k, MatrixOp opA, MatrixOp opB) in new[]
        {
            (40, 300, 700, MatrixOp.None, MatrixOp.Transpose), (301, 21, 1300, MatrixOp.Transpose, MatrixOp.None), (3, 4099, 231, MatrixOp.None, MatrixOp.None),
            // One row panel of MR 6 (5 rows) or MR 8 (7 rows) and one column panel, deep enough to be worth two parts:
            // the driver must not split rows it does not have (a part past the last row would write past C).
            (5, 8, 60000, MatrixOp.None, MatrixOp.None), (7, 8, 60000, MatrixOp.None, MatrixOp.None),
        })
            foreach (SimdPath path in TestPaths.InProcess)
                GemmBehaviourTests.AssertBitwiseForEveryThreadCount(new GemmCase(m, n, k, opA, opB, 1, 2, 3, 1.25f, 1f, m + n), path);
    }

    /// <summary>
    /// Small products, each reaching some branch of the driver on every in-process path, against the double reference
    /// and bitwise against the same product with B packed beforehand: row tails of 1 to 7 rows under MR 6 and MR 8 (the
    /// one- and two-row tails take groups of B panels, with a partial last group), columns narrower than NR, two NC
    /// blocks, K over one KC block with beta 0 over NaN (the later passes must load C), more rows than one MC block (B
    /// packed as a block, several A blocks; 517 rows exceed any MC up to 64 panels of 8), the streaming few-row path,
    /// beta other than 0 and 1 (C scaled first), K = 0 and alpha = 0 (C only scaled, beta 0 writing zeros over NaN).
    /// With A, B and C each ending right before an inaccessible page the result is bitwise the same: nothing past them
    /// is read or written (a stray access crashes). Cheap enough to run against every mutant.
    /// </summary>
    [Fact]
    public void Small_products_through_every_driver_branch_match_the_reference_and_the_packed_product()
    {
        foreach (GemmCase c in DriverBranchCases)
        {
            GemmPropertyTests.MatchesReferenceOnEveryPath(c);
            GemmPropertyTests.PackedEqualsUnpacked(c);
            foreach (SimdPath path in TestPaths.InProcess)
            {
                Guarded expected = c.NewC();
                c.Run(expected.Span, path);
                using var a = GuardPageMemory<float>.CopyOf(c.A, GuardSide.After);
                using var b = GuardPageMemory<float>.CopyOf(c.B, GuardSide.After);
                using var result = GuardPageMemory<float>.CopyOf(c.NewC().Span, GuardSide.After);
                SimdRnn.Gemm.Multiply(c.OpA, c.OpB, c.M, c.N, c.K, c.Alpha, a.GetSpan(), c.Lda, b.GetSpan(), c.Ldb, c.Beta, result.GetSpan(), c.Ldc, 1, path);
                Assert.True(GemmPropertyTests.Bitwise(expected.ToArray()).SequenceEqual(GemmPropertyTests.Bitwise(result.GetSpan().ToArray())),
                    $"{path} {c}: the product with A, B and C before guard pages differs");
            }
        }
    }

    private static readonly GemmCase[] DriverBranchCases =
    [
        new(7, 45, 9, MatrixOp.None, MatrixOp.Transpose, 1, 2, 3, 1f, 1f, 1),
        new(8, 70, 13, MatrixOp.Transpose, MatrixOp.Transpose, 0, 1, 2, -1.5f, 0f, 2),
        new(9, 37, 5, MatrixOp.None, MatrixOp.None, 2, 0, 1, 1f, -0.75f, 3),
        new(10, 100, 3, MatrixOp.Transpose, MatrixOp.None, 1, 1, 1, 0.5f, 0.5f, 4),
        new(11, 19, 2, MatrixOp.None, MatrixOp.None, 0, 0, 0, 1f, 1f, 5),
        new(2, 4133, 7, MatrixOp.None, MatrixOp.Transpose, 0, 3, 2, 1f, 1f, 6),
        new(1, 53, 600, MatrixOp.Transpose, MatrixOp.Transpose, 1, 1, 1, 1f, 0f, 7),
        new(5, 40, 600, MatrixOp.None, MatrixOp.None, 0, 2, 0, 1f, 0f, 8),
        new(517, 19, 520, MatrixOp.None, MatrixOp.None, 0, 0, 3, 1f, 1f, 9),
        new(3, 50, 20, MatrixOp.None, MatrixOp.None, 1, 0, 2, 0.75f, 1f, 10),
        new(4, 33, 17, MatrixOp.Transpose, MatrixOp.None, 0, 0, 1, 1f, 0.25f, 11),
        new(6, 21, 0, MatrixOp.None, MatrixOp.None, 0, 0, 1, 1f, 0f, 12),
        new(6, 21, 0, MatrixOp.None, MatrixOp.Transpose, 0, 0, 1, 1f, 1f, 13),
        new(6, 21, 4, MatrixOp.None, MatrixOp.None, 0, 0, 1, 0f, -2f, 14),
        new(2, 21, 4, MatrixOp.None, MatrixOp.None, 0, 0, 1, 0f, 0f, 15),
    ];

    /// <summary>
    /// The streaming path's branches, bitwise against the packed product on every in-process path: 1 to 4 rows, K below
    /// one pass of eight B rows, a multiple of it and a remainder, fewer columns than a vector, head and tail columns
    /// around the aligned vector loop (B starting at several float offsets), two 16384-column chunks; alpha other than
    /// 1, op(A) transposed, beta 0 over NaN, 1 and 0.5. A's and B's ld padding is NaN, and A, B and C each end right
    /// before an inaccessible page, so a read of the padding shows and an access past the end crashes; C's ld padding
    /// must stay.
    /// </summary>
    [Fact]
    public void Few_row_products_through_every_streaming_branch_are_bitwise_the_packed_product()
    {
        var random = new Random(41);
        foreach (SimdPath path in TestPaths.InProcess)
            for (int m = 1; m <= 4; m++)
            {
                float beta = m switch { 1 => 0f, 2 => 1f, 3 => 0.5f, _ => 0f };
                MatrixOp opA = m % 2 == 0 ? MatrixOp.Transpose : MatrixOp.None;
                AssertStreamedIsBitwisePacked(path, m, 3, 19, opA, m, -0.75f, beta, random);
                AssertStreamedIsBitwisePacked(path, m, 45, 16, opA, m + 1, 1f, 1f - beta, random);
                AssertStreamedIsBitwisePacked(path, m, 45, 5, MatrixOp.None, 3 * m, 1.25f, beta, random);
                AssertStreamedIsBitwisePacked(path, m, 16384 + 45, 9, opA, 2 * m, 1f, beta, random);
            }
    }

    private static void AssertStreamedIsBitwisePacked(SimdPath path, int m, int n, int k, MatrixOp opA, int offset, float alpha,
        float beta, Random random)
    {
        string what = $"{path} m={m} n={n} k={k} {opA} B at +{offset} alpha={alpha} beta={beta}";
        (int rowsA, int columnsA) = opA == MatrixOp.None ? (m, k) : (k, m);
        int lda = columnsA + 1, ldb = n + 1, ldc = n + 2;
        using var a = GuardPageMemory<float>.CopyOf(Stored(random, rowsA, columnsA, lda, 0), GuardSide.After);
        using var bStorage = GuardPageMemory<float>.CopyOf(Stored(random, k, n, ldb, offset), GuardSide.After);
        ReadOnlySpan<float> b = bStorage.GetSpan()[offset..];

        var initial = new float[GemmCase.Extent(m, n, ldc)];
        for (int i = 0; i < initial.Length; i++)
            initial[i] = i % ldc >= n ? Padding : beta == 0f ? float.NaN : random.NextSingle() * 2f - 1f;
        using var streamed = GuardPageMemory<float>.CopyOf(initial, GuardSide.After);
        float[] blocked = (float[])initial.Clone();
        SimdRnn.Gemm.Multiply(opA, MatrixOp.None, m, n, k, alpha, a.GetSpan(), lda, b, ldb, beta, streamed.GetSpan(), ldc, 1, path);
        PackedMatrix packed = PackedMatrix.Pack(MatrixOp.None, k, n, b, ldb, path);
        SimdRnn.Gemm.Multiply(opA, m, alpha, a.GetSpan(), lda, packed, beta, blocked, ldc, 1);
        Span<float> result = streamed.GetSpan();
        for (int i = 0; i < initial.Length; i++)
        {
            if (Bits(result[i]) != Bits(blocked[i]))
                Assert.Fail($"{what}: C[{i / ldc},{i % ldc}] streamed {result[i]:R}, packed {blocked[i]:R}");
            if (i % ldc >= n) Assert.Equal(Padding, result[i]);
        }
    }

    /// <summary>
    /// A stored rows x columns matrix after <paramref name="offset"/> NaNs, exactly as long as its leading dimension
    /// <paramref name="ld"/> needs: values in [-1, 1), NaN in the ld padding (a read of it shows).
    /// </summary>
    private static float[] Stored(Random random, int rows, int columns, int ld, int offset)
    {
        var values = new float[offset + GemmCase.Extent(rows, columns, ld)];
        for (int i = 0; i < values.Length; i++)
            values[i] = i >= offset && (i - offset) % ld < columns ? random.NextSingle() * 2f - 1f : float.NaN;
        return values;
    }

    /// <summary>NR (two vectors) of every path, in floats: the column unit of a tile.</summary>
    [Fact]
    public void Column_unit_is_two_vectors_of_the_path()
    {
        Assert.Equal(32, GemmKernel.ColumnUnit(SimdPath.Avx512));
        Assert.Equal(16, GemmKernel.ColumnUnit(SimdPath.Avx2));
        Assert.Equal(8, GemmKernel.ColumnUnit(SimdPath.Vector128));
        Assert.Equal(8, GemmKernel.ColumnUnit(SimdPath.AdvSimd));
        Assert.Equal(2, GemmKernel.ColumnUnit(SimdPath.Scalar));
    }

    private static float[] Values(Random random, int length) => [.. Enumerable.Range(0, length).Select(_ => random.NextSingle() * 2f - 1f)];

    private static int Bits(float value) => BitConverter.SingleToInt32Bits(value);
}
