using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SimdRnn.Execution;
using SimdRnn.Sgemm;
using SimdRnn.Tests.Support;
using SimdRnn.Vectors;

namespace SimdRnn.Tests.Sgemm;

/// <summary>
/// The packed B panels as the layers use them: their sizes in both formats, where <see cref="PackedMatrix.PackInto"/>
/// places them in a caller's buffer, and bfloat16 panels multiplying as the float32 panels of the rounded values.
/// </summary>
[Trait("Category", "Kernel")]
public class PackedPanelTests
{
    private static readonly (int K, int N)[] Shapes = [(1, 1), (7, 5), (33, 17), (40, 64), (600, 37)];

    [Fact]
    public void Packers_and_kernels_agree_on_the_words_of_a_panel_line()
    {
        AssertLineWords<Vec1>();
        AssertLineWords<Vec128>();
        AssertLineWords<Vec256>();
        AssertLineWords<Vec512>();
    }

    private static void AssertLineWords<TVec>() where TVec : struct, IVector<TVec>
    {
        int nr = GemmBlocking.Nr<TVec>();
        Assert.Equal(Float32Panel.WordsPerLine<TVec>(), PanelFormat.Float32.Words(nr));
        Assert.Equal(BFloat16Panel.WordsPerLine<TVec>(), PanelFormat.BFloat16.Words(nr));
    }

    /// <summary>A pack's words: k lines of whole NR-wide panels on each path; the buffer size covers the widest path and the alignment slack, no more.</summary>
    [Fact]
    public void Packed_lengths_are_whole_panels_and_buffers_fit_every_path_exactly()
    {
        foreach ((int k, int n) in Shapes.Append((0, 9)).Append((5, 0)))
            foreach (PanelFormat format in new[] { PanelFormat.Float32, PanelFormat.BFloat16 })
            {
                int valuesPerWord = format == PanelFormat.BFloat16 ? 2 : 1;
                long widest = 0;
                foreach (SimdPath path in Enum.GetValues<SimdPath>())
                {
                    int nr = GemmKernel.ColumnUnit(path);
                    long length = PackedMatrix.Length(k, n, path, format);
                    Assert.Equal((long)k * ((n + nr - 1) / nr) * nr / valuesPerWord, length);
                    widest = Math.Max(widest, length);
                }

                Assert.Equal(widest + PackBuffers.AlignmentFloats, PackedMatrix.BufferLength(k, n, format));
            }
    }

    /// <summary>
    /// PackInto returns panels that start on a cache line inside any buffer of exactly BufferLength floats, wherever the
    /// buffer starts, and are exactly the packed length.
    /// </summary>
    [Fact]
    public unsafe void Packing_into_a_buffer_returns_aligned_panels_inside_it()
    {
        const int k = 33, n = 17;
        float[] b = Enumerable.Range(0, k * n).Select(i => MathF.Sin(i)).ToArray();
        foreach (SimdPath path in TestPaths.InProcess)
            foreach (PanelFormat format in new[] { PanelFormat.Float32, PanelFormat.BFloat16 })
            {
                int bufferLength = (int)PackedMatrix.BufferLength(k, n, format);
                float[] storage = GC.AllocateArray<float>(bufferLength + 16, pinned: true);
                for (int offset = 0; offset < 16; offset++)
                {
                    Span<float> buffer = storage.AsSpan(offset, bufferLength);
                    Span<float> panels = PackedMatrix.PackInto(new KernelContext(path, 1), MatrixOp.None, k, n, b, n, buffer, format);
                    long start = Unsafe.ByteOffset(ref MemoryMarshal.GetReference(buffer), ref MemoryMarshal.GetReference(panels)) / sizeof(float);
                    string what = $"{path} {format} buffer at +{offset}";
                    Assert.True((nuint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(panels)) % 64 == 0, $"{what}: panels not on a cache line");
                    Assert.InRange(start, 0, PackBuffers.AlignmentFloats - 1);
                    Assert.Equal(PackedMatrix.Length(k, n, path, format), panels.Length);
                }
            }
    }

    /// <summary>
    /// A product with bfloat16 panels (packed in one piece or split across threads, over several KC blocks) is bitwise the
    /// product with B rounded to bfloat16, on every path, for B as stored and transposed.
    /// </summary>
    [Fact]
    public void BFloat16_panels_multiply_as_the_rounded_float32_values()
    {
        var random = new Random(17);
        foreach ((int k, int n) in Shapes)
            foreach (MatrixOp opB in new[] { MatrixOp.None, MatrixOp.Transpose })
                foreach (int m in new[] { 1, 9 })
                {
                    float[] a = Enumerable.Range(0, m * k).Select(_ => random.NextSingle() - 0.5f).ToArray();
                    float[] b = Enumerable.Range(0, k * n).Select(_ => random.NextSingle() * 4 - 2).ToArray();
                    float[] rounded = b.Select(v => BFloat16Panel.Widen(BFloat16Panel.Round(v))).ToArray();
                    int ldb = opB == MatrixOp.Transpose ? k : n;
                    foreach (SimdPath path in TestPaths.InProcess)
                    {
                        var expected = new float[m * n];
                        SimdRnn.Gemm.Multiply(MatrixOp.None, opB, m, n, k, 1f, a, k, rounded, ldb, 0f, expected, n, 1, path);
                        foreach (int threads in new[] { 1, 3 })
                        {
                            var buffer = new float[PackedMatrix.BufferLength(k, n, PanelFormat.BFloat16)];
                            var context = new KernelContext(path, threads);
                            Span<float> panels = PackedMatrix.PackInto(context, opB, k, n, b, ldb, buffer, PanelFormat.BFloat16);
                            var actual = new float[m * n];
                            GemmKernel.MultiplyPacked(context, MatrixOp.None, m, n, k, 1f, a, k, panels, 0f, actual, n, PanelFormat.BFloat16);
                            Assert.True(GemmPropertyTests.Bitwise(expected).SequenceEqual(GemmPropertyTests.Bitwise(actual)),
                                $"{path} {opB} m={m} k={k} n={n} packed by {threads} threads: bfloat16 product differs");
                        }
                    }
                }
    }
}
