using SimdRnn.Execution;
using SimdRnn.Sgemm;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Hardening;

/// <summary>
/// The products and packs on buffers of exact length with an inaccessible page right after (or before) each: edge
/// tiles, streaming tails and transposing packs must stay inside A, B, C and the pack buffers, on every path.
/// </summary>
[Trait("Category", "Kernel")]
public class GuardPageGemmTests
{
    private const float Alpha = 1.25f;
    private static readonly MatrixOp[] Ops = [MatrixOp.None, MatrixOp.Transpose];
    private static readonly int[] Rows = [1, 2, 3, 4, 5]; // up to 4 the streaming kernel takes B not transposed
    private static readonly int[] Columns = [.. Enumerable.Range(1, 17), 31, 32, 33, 47, 48, 49];
    private static readonly int[] Depths = [1, 7, 16, 17];
    private static readonly float[] Betas = [0f, 1f, -0.5f]; // C not read, read as is, scaled first

    public sealed record Shape(MatrixOp OpA, MatrixOp OpB, int M, int N, int K, float Beta, int Threads)
    {
        public override string ToString() => $"{OpA} x {OpB}, M={M} N={N} K={K} beta={Beta} threads={Threads}";
    }

    /// <summary>Every op pair over the tail sweep (beta and 1 or 2 threads taking turns), then products large enough to split.</summary>
    private static IEnumerable<Shape> Shapes()
    {
        int index = 0;
        foreach (MatrixOp opA in Ops)
            foreach (MatrixOp opB in Ops)
                foreach (int m in Rows)
                    foreach (int n in Columns)
                        foreach (int k in Depths)
                        {
                            yield return new Shape(opA, opB, m, n, k, Betas[index % Betas.Length], 1 + index % 2);
                            index++;
                        }

        // Above GemmDriver's 2^21 flops per thread (16 N K for a few rows) and PackInto's 2^17 elements per thread:
        // the streaming columns, the blocked columns and the blocked rows (K past one KC block) split over two threads.
        yield return new Shape(MatrixOp.None, MatrixOp.None, 1, 2049, 129, 1f, 2);
        yield return new Shape(MatrixOp.None, MatrixOp.Transpose, 2, 2047, 130, 0f, 2);
        yield return new Shape(MatrixOp.Transpose, MatrixOp.None, 5, 1537, 171, -0.5f, 2);
        yield return new Shape(MatrixOp.Transpose, MatrixOp.Transpose, 66, 9, 3600, 1f, 2);
    }

    [Theory, MemberData(nameof(GuardPageCases.PathsAndSides), MemberType = typeof(GuardPageCases))]
    public void Unpacked_products_stay_inside_exact_buffers(SimdPath path, GuardSide side)
    {
        foreach (Shape s in Shapes())
        {
            (int lda, int ldb) = LeadingDimensions(s);
            GuardedCall.AssertMatchesArrays(side, $"{path} {s}",
                b => SimdRnn.Gemm.Multiply(s.OpA, s.OpB, s.M, s.N, s.K, Alpha, b[0], lda, b[1], ldb, s.Beta, b[2], s.N, s.Threads, path),
                [.. Operands(s)]);
        }
    }

    /// <summary>
    /// Pack and PackInto (into a guarded buffer of exactly BufferLength) read only B; the product with the PackedMatrix
    /// touches only A and C; the product with PackInto's panels, copied to a buffer that ends (or starts) exactly where
    /// they do, reads only those; both equal the unpacked product. The same for bfloat16 panels, whose product equals
    /// the unpacked product of B rounded to bfloat16.
    /// </summary>
    [Theory, MemberData(nameof(GuardPageCases.PathsAndSides), MemberType = typeof(GuardPageCases))]
    public void Packs_and_packed_products_stay_inside_exact_buffers(SimdPath path, GuardSide side)
    {
        foreach (Shape s in Shapes())
        {
            (int lda, int ldb) = LeadingDimensions(s);
            int packedLength = (int)PackedMatrix.Length(s.K, s.N, path);
            int bf16Length = (int)PackedMatrix.Length(s.K, s.N, path, PanelFormat.BFloat16);
            float[][] operands = Operands(s);
            float[][] results = GuardedCall.AssertMatchesArrays(side, $"{path} {s}", b =>
                {
                    PackedMatrix whole = PackedMatrix.Pack(s.OpB, s.K, s.N, b[1], ldb, path);
                    whole.Span.CopyTo(b[3]);
                    SimdRnn.Gemm.Multiply(s.OpA, s.M, Alpha, b[0], lda, whole, s.Beta, b[6], s.N, s.Threads);
                    PackedMatrix.PackInto(new KernelContext(path, s.Threads), s.OpB, s.K, s.N, b[1], ldb, b[4]).CopyTo(b[5]);
                    GemmKernel.MultiplyPacked(new KernelContext(path, s.Threads), s.OpA, s.M, s.N, s.K, Alpha, b[0], lda, b[5], s.Beta, b[2], s.N);
                    PackedMatrix.PackInto(new KernelContext(path, s.Threads), s.OpB, s.K, s.N, b[1], ldb, b[7], PanelFormat.BFloat16).CopyTo(b[8]);
                    GemmKernel.MultiplyPacked(new KernelContext(path, s.Threads), s.OpA, s.M, s.N, s.K, Alpha, b[0], lda, b[8], s.Beta, b[9], s.N,
                        PanelFormat.BFloat16);
                },
                operands[0], operands[1], operands[2], new float[packedLength],
                CallBuffer.Scratch((int)PackedMatrix.BufferLength(s.K, s.N)), new float[packedLength], operands[2],
                CallBuffer.Scratch((int)PackedMatrix.BufferLength(s.K, s.N, PanelFormat.BFloat16)), new float[bf16Length], operands[2]);

            GuardedCall.AssertBitwiseEqual(results[3], results[5], $"{path} {s}: PackInto vs Pack");
            float[] unpacked = (float[])operands[2].Clone();
            SimdRnn.Gemm.Multiply(s.OpA, s.OpB, s.M, s.N, s.K, Alpha, operands[0], lda, operands[1], ldb, s.Beta, unpacked, s.N, 1, path);
            GuardedCall.AssertBitwiseEqual(unpacked, results[2], $"{path} {s}: product with the packed span vs unpacked");
            GuardedCall.AssertBitwiseEqual(unpacked, results[6], $"{path} {s}: product with the PackedMatrix vs unpacked");
            float[] rounded = (float[])operands[2].Clone();
            SimdRnn.Gemm.Multiply(s.OpA, s.OpB, s.M, s.N, s.K, Alpha, operands[0], lda, BFloat16Rounded(operands[1]), ldb, s.Beta, rounded, s.N, 1, path);
            GuardedCall.AssertBitwiseEqual(rounded, results[9], $"{path} {s}: product with bfloat16 panels vs unpacked rounded B");
        }
    }

    internal static float[] BFloat16Rounded(float[] values) => values.Select(v => BFloat16Panel.Widen(BFloat16Panel.Round(v))).ToArray();

    /// <summary>A, B and C stored with leading dimensions equal to their row lengths (no padding to hide in).</summary>
    private static float[][] Operands(Shape s) =>
        [GuardedCall.Values(s.M * s.K, seed: 1), GuardedCall.Values(s.K * s.N, seed: 2), GuardedCall.Values(s.M * s.N, seed: 3)];

    private static (int Lda, int Ldb) LeadingDimensions(Shape s) =>
        (SimdRnn.Gemm.Shape(s.M, s.K, s.OpA).Columns, SimdRnn.Gemm.Shape(s.K, s.N, s.OpB).Columns);
}
