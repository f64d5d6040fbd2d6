using SimdRnn.Execution;
using SimdRnn.Sgemm;
using CommunityToolkit.HighPerformance;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Sgemm;

public class GemmBehaviourTests
{
    public static TheoryData<SimdPath> Paths => TestPaths.All;

    // Big enough that 7 threads get 7 parts on the blocked path (split by columns and by rows) and on the
    // streaming small-M path.
    public static TheoryData<int, int, int> SplitShapes => new()
    {
        { 203, 211, 190 },
        { 611, 37, 301 },
        { 3, 4099, 611 },
    };

    [Theory]
    [MemberData(nameof(SplitShapes))]
    public void Result_is_bitwise_identical_for_1_2_3_and_7_threads(int m, int n, int k)
    {
        foreach (SimdPath path in TestPaths.InProcess)
        {
            foreach (MatrixOp opA in new[] { MatrixOp.None, MatrixOp.Transpose })
            {
                foreach (MatrixOp opB in new[] { MatrixOp.None, MatrixOp.Transpose })
                {
                    AssertBitwiseForEveryThreadCount(new GemmCase(m, n, k, opA, opB, 1, 3, 2, 1.25f, 1f, m + n + k), path);
                }
            }
        }
    }

    /// <summary>The product on 1, 2, 3 and 7 threads: bitwise the same, nothing written outside C.</summary>
    internal static void AssertBitwiseForEveryThreadCount(GemmCase c, SimdPath path)
    {
        int[]? single = null;
        foreach (int threads in new[] { 1, 2, 3, 7 })
        {
            Guarded result = c.NewC();
            c.Run(result.Span, path, threads);
            result.AssertGuardsIntact();
            int[] bits = GemmPropertyTests.Bitwise(result.ToArray());
            single ??= bits;
            Assert.True(single.SequenceEqual(bits), $"{path} {c}: {threads} threads differ from 1");
        }
    }

    [Fact]
    public void Deep_k_over_several_kc_blocks_matches_reference_packed_or_not_on_every_path()
    {
        // K beyond the KC block (512): the later passes accumulate into C, and packed B is read block by block.
        var random = new Random(11);
        foreach ((int m, int n, int k) in new[] { (13, 37, 1031), (3, 45, 1100), (9, 70, 513), (17, 33, 1536) })
        {
            foreach (float beta in new[] { 0f, 1f, -0.75f })
            {
                var opA = (MatrixOp)random.Next(2);
                var opB = (MatrixOp)random.Next(2);
                var c = new GemmCase(m, n, k, opA, opB, random.Next(3), random.Next(3), random.Next(3), 0.5f, beta, random.Next());
                GemmPropertyTests.MatchesReferenceOnEveryPath(c);
                GemmPropertyTests.PackedEqualsUnpacked(c);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Beta_zero_ignores_nan_in_c(SimdPath path)
    {
        foreach ((int m, int n, int k) in new[] { (1, 33, 17), (4, 70, 9), (13, 45, 300), (40, 1, 3) })
        {
            var c = new GemmCase(m, n, k, MatrixOp.None, MatrixOp.None, 0, 0, 3, 1f, 0f, 7);
            Guarded result = c.NewC();
            Assert.True(float.IsNaN(result.Span[0]));
            c.Run(result.Span, path);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                    Assert.True(float.IsFinite(result.Span[i * c.Ldc + j]), $"{path} {c}: C[{i},{j}] is not finite");
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Times_identity_is_exact(SimdPath path)
    {
        foreach ((int m, int k) in new[] { (1, 1), (3, 250), (37, 67), (100, 300) })
        {
            var a = new float[m * k];
            var random = new Random(m * 31 + k);
            for (int i = 0; i < a.Length; i++) a[i] = random.NextSingle() * 2f - 1f;
            var identity = new float[k * k];
            for (int i = 0; i < k; i++) identity[i * k + i] = 1f;
            foreach (MatrixOp opB in new[] { MatrixOp.None, MatrixOp.Transpose })
            {
                var c = new float[m * k];
                SimdRnn.Gemm.Multiply(MatrixOp.None, opB, m, k, k, 1f, a, k, identity, k, 0f, c, k, 2, path);
                Assert.Equal(a, c);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Zero_sizes_are_a_no_op_and_k_zero_scales_c_by_beta(SimdPath path)
    {
        var c = new Guarded([1f, 2f, 3f, 4f]);
        SimdRnn.Gemm.Multiply(MatrixOp.None, MatrixOp.None, 0, 2, 3, 1f, [], 3, new float[6], 2, 0f, c.Span, 2, 1, path);
        SimdRnn.Gemm.Multiply(MatrixOp.None, MatrixOp.None, 2, 0, 3, 1f, new float[6], 3, [], 0, 0f, c.Span, 2, 1, path);
        Assert.Equal([1f, 2f, 3f, 4f], c.ToArray());

        SimdRnn.Gemm.Multiply(MatrixOp.None, MatrixOp.None, 2, 2, 0, 1f, [], 0, [], 2, 0.5f, c.Span, 2, 1, path);
        Assert.Equal([0.5f, 1f, 1.5f, 2f], c.ToArray());

        // alpha = 0: A and B are not evaluated (NaN in them does not reach C).
        SimdRnn.Gemm.Multiply(MatrixOp.None, MatrixOp.None, 2, 2, 1, 0f, [float.NaN, float.NaN], 1, [float.NaN, float.NaN], 2, 2f, c.Span, 2, 1, path);
        Assert.Equal([1f, 2f, 3f, 4f], c.ToArray());
        c.AssertGuardsIntact();
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Single_threaded_calls_allocate_nothing_once_warm(SimdPath path)
    {
        foreach ((int m, MatrixOp opB) in new[] { (1, MatrixOp.None), (3, MatrixOp.Transpose), (45, MatrixOp.None) })
        {
            var c = new GemmCase(m, 77, 300, MatrixOp.None, opB, 0, 0, 0, 1f, 1f, 3);
            float[] a = c.A, b = c.B, output = new float[m * 77];
            PackedMatrix packed = PackedMatrix.Pack(opB, 300, 77, b, c.Ldb, path);
            void Both()
            {
                SimdRnn.Gemm.Multiply(MatrixOp.None, opB, m, 77, 300, 1f, a, c.Lda, b, c.Ldb, 1f, output, 77, 1, path);
                SimdRnn.Gemm.Multiply(MatrixOp.None, m, 1f, a, c.Lda, packed, 1f, output, 77, 1);
            }

            Allocations.AssertNothingOnceWarm(Both, $"{path} m={m} {opB}");
        }
    }

    /// <summary>
    /// A pack into a caller's buffer (the layers' W_hh) split across threads by column panels is bitwise the
    /// single-threaded pack, and multiplying by it is bitwise the product with the unpacked matrix.
    /// </summary>
    [Theory]
    [InlineData(MatrixOp.Transpose, 300, 1037)]
    [InlineData(MatrixOp.None, 1029, 333)]
    public void Packing_into_a_buffer_across_threads_is_bitwise_the_single_threaded_pack(MatrixOp opB, int k, int n)
    {
        var random = new Random(k + n);
        float[] b = Enumerable.Range(0, k * n).Select(_ => random.NextSingle() - 0.5f).ToArray();
        int ldb = opB == MatrixOp.Transpose ? k : n;
        float[] a = Enumerable.Range(0, 5 * k).Select(_ => random.NextSingle() - 0.5f).ToArray();
        foreach (SimdPath path in TestPaths.InProcess)
        {
            var single = new float[SimdRnn.PackedMatrix.BufferLength(k, n)];
            var split = new float[single.Length + 3]; // another alignment offset
            float[] packedSingle = SimdRnn.PackedMatrix.PackInto(new KernelContext(path, 1), opB, k, n, b, ldb, single).ToArray();
            float[] packedSplit = SimdRnn.PackedMatrix.PackInto(new KernelContext(path, 3), opB, k, n, b, ldb, split.AsSpan(3)).ToArray();
            Assert.True(GemmPropertyTests.Bitwise(packedSingle).SequenceEqual(GemmPropertyTests.Bitwise(packedSplit)), $"{path}: split pack differs");

            var expected = new float[5 * n];
            var actual = new float[5 * n];
            SimdRnn.Gemm.Multiply(MatrixOp.None, opB, 5, n, k, 1f, a, k, b, ldb, 0f, expected, n, 1, path);
            GemmKernel.MultiplyPacked(new KernelContext(path, 2), MatrixOp.None, 5, n, k, 1f, a, k, packedSplit, 0f, actual, n);
            Assert.True(GemmPropertyTests.Bitwise(expected).SequenceEqual(GemmPropertyTests.Bitwise(actual)), $"{path}: product differs");
        }
    }

    [Fact]
    public void Span2d_overloads_use_width_plus_pitch_as_leading_dimension()
    {
        // op(A) = A^T: A stored 5 x 3 with pitch 2; B stored 5 x 4 with pitch 1; C 3 x 4 with pitch 3.
        float[] aStorage = Enumerable.Range(0, 5 * 5).Select(i => (float)(i % 7 - 3)).ToArray();
        float[] bStorage = Enumerable.Range(0, 5 * 5).Select(i => (float)(i % 5 - 2)).ToArray();
        var a = new ReadOnlySpan2D<float>(aStorage, 0, 5, 3, 2);
        var b = new ReadOnlySpan2D<float>(bStorage, 0, 5, 4, 1);
        var cStorage = new float[3 * 7];
        cStorage.AsSpan().Fill(GemmCase.PaddingValue);
        var c = new Span2D<float>(cStorage, 0, 3, 4, 3);
        SimdRnn.Gemm.Multiply(a, b, c, opA: MatrixOp.Transpose);

        var expected = new float[3 * 7];
        SimdRnn.Gemm.Multiply(MatrixOp.Transpose, MatrixOp.None, 3, 4, 5, 1f, aStorage, 5, bStorage, 5, 0f, expected, 7);
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 4; j++) Assert.Equal(expected[i * 7 + j], cStorage[i * 7 + j]);
            for (int j = 4; j < 7 && i * 7 + j < cStorage.Length; j++) Assert.Equal(GemmCase.PaddingValue, cStorage[i * 7 + j]);
        }

        PackedMatrix packed = PackedMatrix.Pack(b);
        Assert.Equal((5, 4), (packed.Rows, packed.Columns));
        var viaPacked = new float[3 * 7];
        viaPacked.AsSpan().Fill(GemmCase.PaddingValue);
        SimdRnn.Gemm.Multiply(a, packed, new Span2D<float>(viaPacked, 0, 3, 4, 3), opA: MatrixOp.Transpose);
        Assert.Equal(cStorage, viaPacked);
    }

    [Fact]
    public void Packed_transposed_weights_serve_many_products_and_threads()
    {
        // The RNN step: gates (N x G*H) = h (N x H) * W_hh^T, with W_hh (G*H x H) packed once.
        const int hidden = 37, gates = 4 * hidden;
        var random = new Random(5);
        float[] weights = Enumerable.Range(0, gates * hidden).Select(_ => random.NextSingle() - 0.5f).ToArray();
        PackedMatrix packed = PackedMatrix.Pack(MatrixOp.Transpose, hidden, gates, weights, hidden);
        Parallel.For(1, 9, batch =>
        {
            float[] h = Enumerable.Range(0, batch * hidden).Select(i => (float)Math.Sin(i)).ToArray();
            var viaPacked = new float[batch * gates];
            var direct = new float[batch * gates];
            SimdRnn.Gemm.Multiply(MatrixOp.None, batch, 1f, h, hidden, packed, 0f, viaPacked, gates, 2);
            SimdRnn.Gemm.Multiply(MatrixOp.None, MatrixOp.Transpose, batch, gates, hidden, 1f, h, hidden, weights, hidden, 0f, direct, gates, 1);
            Assert.Equal(direct, viaPacked);
        });
    }
}
