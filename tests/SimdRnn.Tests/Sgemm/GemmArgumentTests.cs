using System.Runtime.InteropServices;
using CommunityToolkit.HighPerformance;

namespace SimdRnn.Tests.Sgemm;

[Trait("Category", "Kernel")]
public class GemmArgumentTests
{
    private delegate void Call();

    private static void Multiply(int m, int n, int k, float[] a, int lda, float[] b, int ldb, Span<float> c, int ldc,
        MatrixOp opA = MatrixOp.None, MatrixOp opB = MatrixOp.None, int threads = -1) =>
        SimdRnn.Gemm.Multiply(opA, opB, m, n, k, 1f, a, lda, b, ldb, 0f, c, ldc, threads);

    private static void AssertNames<TException>(string name, Action call, params string[] fragments) where TException : ArgumentException
    {
        var error = Assert.Throws<TException>(call);
        Assert.Equal(name, error.ParamName);
        foreach (string fragment in fragments) Assert.Contains(fragment, error.Message);
    }

    [Fact]
    public void Negative_sizes_name_the_size()
    {
        AssertNames<ArgumentOutOfRangeException>("m", () => Multiply(-1, 2, 2, new float[4], 2, new float[4], 2, new float[4], 2), "-1");
        AssertNames<ArgumentOutOfRangeException>("n", () => Multiply(2, -3, 2, new float[4], 2, new float[4], 2, new float[4], 2), "-3");
        AssertNames<ArgumentOutOfRangeException>("k", () => Multiply(2, 2, -2, new float[4], 2, new float[4], 2, new float[4], 2), "-2");
    }

    [Fact]
    public void Leading_dimension_smaller_than_the_row_names_it()
    {
        AssertNames<ArgumentOutOfRangeException>("lda", () => Multiply(2, 2, 3, new float[9], 2, new float[6], 2, new float[4], 2), "lda = 2", "3");
        // Transposed: the stored A is k x m, its rows have m elements.
        AssertNames<ArgumentOutOfRangeException>("lda", () => Multiply(4, 2, 2, new float[8], 3, new float[4], 2, new float[8], 2, opA: MatrixOp.Transpose), "lda = 3", "4");
        AssertNames<ArgumentOutOfRangeException>("ldb", () => Multiply(2, 3, 2, new float[4], 2, new float[6], 2, new float[6], 3), "ldb = 2");
        AssertNames<ArgumentOutOfRangeException>("ldc", () => Multiply(2, 3, 2, new float[4], 2, new float[6], 3, new float[6], 2), "ldc = 2");
    }

    [Fact]
    public void Short_spans_name_the_span_and_the_needed_length()
    {
        // A 3 x 4 with lda 5 needs 2 * 5 + 4 = 14 elements.
        AssertNames<ArgumentException>("a", () => Multiply(3, 2, 4, new float[13], 5, new float[8], 2, new float[6], 2), "13", "14");
        AssertNames<ArgumentException>("b", () => Multiply(3, 2, 4, new float[14], 5, new float[7], 2, new float[6], 2), "7", "8");
        AssertNames<ArgumentException>("c", () => Multiply(3, 2, 4, new float[14], 5, new float[8], 2, new float[7], 3), "7", "8");
    }

    [Fact]
    public void Empty_matrices_need_no_elements_whatever_their_leading_dimension()
    {
        // No rows: (rows - 1) * ld + columns would be negative for ld > columns; no columns or no depth: nothing to read.
        Multiply(0, 2, 3, [], 7, new float[6], 2, [], 5);
        Multiply(2, 0, 3, new float[6], 3, [], 4, [], 6);
        var c = new float[4];
        Multiply(2, 2, 0, [], 5, [], 2, c, 2);
        Multiply(2, 2, 0, new float[2], 3, [], 4, c, 2, opA: MatrixOp.Transpose, opB: MatrixOp.Transpose);
        Assert.Equal(new float[4], c);
    }

    [Fact]
    public void A_pack_too_long_for_one_array_names_b_and_the_sizes()
    {
        // Sizes that need that much memory cannot be allocated by a test: the check itself, at the limit (the packed
        // floats and the alignment slack in one array).
        PackedMatrix.ThrowIfTooLong(Array.MaxLength - 16, 3, 4);
        AssertNames<ArgumentException>("b", () => PackedMatrix.ThrowIfTooLong(Array.MaxLength - 15, 1 << 20, 2049),
            "a packed 1048576 x 2049 matrix needs 2147483576 floats, more than one array holds.");
    }

    [Fact]
    public void Output_overlapping_an_input_names_c()
    {
        var buffer = new float[64];
        AssertNames<ArgumentException>("c", () => SimdRnn.Gemm.Multiply(MatrixOp.None, MatrixOp.None, 4, 4, 4, 1f, buffer.AsSpan(0, 16), 4, buffer.AsSpan(32, 16), 4, 0f, buffer.AsSpan(12, 16), 4));
        AssertNames<ArgumentException>("c", () => SimdRnn.Gemm.Multiply(MatrixOp.None, MatrixOp.None, 4, 4, 4, 1f, buffer.AsSpan(0, 16), 4, buffer.AsSpan(16, 16), 4, 0f, buffer.AsSpan(31, 16), 4));
        // Adjacent, not overlapping: fine.
        SimdRnn.Gemm.Multiply(MatrixOp.None, MatrixOp.None, 4, 4, 4, 1f, buffer.AsSpan(0, 16), 4, buffer.AsSpan(16, 16), 4, 0f, buffer.AsSpan(32, 16), 4);
    }

    [Fact]
    public void Output_over_the_packed_matrix_names_c()
    {
        // Only internal code can place C in a packed matrix's storage (PackInto, the layers' prepared weights); the check
        // still holds on the public entry point.
        PackedMatrix packed = PackedMatrix.Pack(MatrixOp.None, 4, 4, Enumerable.Range(1, 16).Select(i => (float)i).ToArray(), 4);
        float[] before = packed.Span.ToArray();
        AssertNames<ArgumentException>("c", () => SimdRnn.Gemm.Multiply(MatrixOp.None, 2, 1f, new float[8], 4, packed, 0f,
            MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(packed.Span), 8), 4), "c overlaps packedB");
        Assert.Equal(before, packed.Span.ToArray());
    }

    [Fact]
    public void Views_in_one_array_cover_exactly_their_elements()
    {
        // A 2 x 3 view with pitch 2 covers storage[0 .. 8) (its last element is at 1 * 5 + 2); C starts right after it
        // and B right after C: adjacent, not overlapping, with or without a packed B.
        var storage = new float[8 + 2 * 4 + 3 * 4];
        for (int i = 0; i < storage.Length; i++) storage[i] = i % 5 - 2;
        var a = new ReadOnlySpan2D<float>(storage, 0, 2, 3, 2);
        var c = new Span2D<float>(storage, 8, 2, 4, 0);
        var b = new ReadOnlySpan2D<float>(storage, 16, 3, 4, 0);
        float[] expected = new float[8];
        SimdRnn.Gemm.Multiply(MatrixOp.None, MatrixOp.None, 2, 4, 3, 1f, storage, 5, storage.AsSpan(16), 4, 0f, expected, 4);
        SimdRnn.Gemm.Multiply(a, b, c);
        Assert.Equal(expected, storage[8..16]);
        storage.AsSpan(8, 8).Clear();
        SimdRnn.Gemm.Multiply(a, PackedMatrix.Pack(b), c);
        Assert.Equal(expected, storage[8..16]);

        // One element more of C (starting at 7) is A's last element.
        AssertNames<ArgumentException>("c", () => SimdRnn.Gemm.Multiply(new ReadOnlySpan2D<float>(storage, 0, 2, 3, 2), new ReadOnlySpan2D<float>(storage, 16, 3, 4, 0),
            new Span2D<float>(storage, 7, 2, 4, 0)), "c overlaps a");
    }

    [Fact]
    public void Bad_thread_count_and_operation_are_rejected()
    {
        AssertNames<ArgumentOutOfRangeException>("maxDegreeOfParallelism", () => Multiply(1, 1, 1, new float[1], 1, new float[1], 1, new float[1], 1, threads: 0));
        AssertNames<ArgumentOutOfRangeException>("maxDegreeOfParallelism", () => Multiply(1, 1, 1, new float[1], 1, new float[1], 1, new float[1], 1, threads: -2));
        AssertNames<ArgumentOutOfRangeException>("opA", () => Multiply(1, 1, 1, new float[1], 1, new float[1], 1, new float[1], 1, opA: (MatrixOp)7));
        AssertNames<ArgumentOutOfRangeException>("opB", () => PackedMatrix.Pack((MatrixOp)2, 1, 1, new float[1], 1));
    }

    [Fact]
    public void Mismatched_views_name_the_view()
    {
        var a = new float[2, 3];
        AssertNames<ArgumentException>("b", () => SimdRnn.Gemm.Multiply(a, new float[4, 5], new float[2, 5]),
            "b: the row count of op(b) (op(a) is 2 x 3) is 4 but must be 3.");
        AssertNames<ArgumentException>("c", () => SimdRnn.Gemm.Multiply(a, new float[3, 5], new float[3, 5]), "c: the row count is 3 but must be 2.");
        AssertNames<ArgumentException>("c", () => SimdRnn.Gemm.Multiply(a, new float[3, 5], new float[2, 4]), "c: the column count is 4 but must be 5.");
        PackedMatrix packed = PackedMatrix.Pack(new float[3, 5]);
        AssertNames<ArgumentException>("b", () => SimdRnn.Gemm.Multiply(new float[2, 4], packed, new float[2, 5]),
            "b: the row count of the packed matrix (op(a) is 2 x 4) is 3 but must be 4.");
        AssertNames<ArgumentException>("c", () => SimdRnn.Gemm.Multiply(new float[2, 3], packed, new float[1, 5]), "c: the row count is 1 but must be 2.");
        AssertNames<ArgumentException>("c", () => SimdRnn.Gemm.Multiply(new float[2, 3], packed, new float[2, 4]), "c: the column count is 4 but must be 5.");
        Assert.Equal("b", Assert.Throws<ArgumentNullException>(() => SimdRnn.Gemm.Multiply(a, (PackedMatrix)null!, new float[2, 5])).ParamName);
    }

    [Fact]
    public void Undefined_operations_on_the_view_overloads_are_named_before_the_shapes()
    {
        // The shapes match under neither reading of the operation: an overload that read the undefined value as a
        // transpose (instead of rejecting it first) would blame b.
        AssertNames<ArgumentOutOfRangeException>("opA", () => SimdRnn.Gemm.Multiply(new float[2, 3], new float[4, 5], new float[2, 5], opA: (MatrixOp)7),
            "opA must be MatrixOp.None or MatrixOp.Transpose.");
        AssertNames<ArgumentOutOfRangeException>("opB", () => SimdRnn.Gemm.Multiply(new float[2, 3], new float[4, 5], new float[2, 5], opB: (MatrixOp)9),
            "opB must be MatrixOp.None or MatrixOp.Transpose.");
        PackedMatrix packed = PackedMatrix.Pack(new float[3, 5]);
        AssertNames<ArgumentOutOfRangeException>("opA", () => SimdRnn.Gemm.Multiply(new float[2, 4], packed, new float[2, 5], opA: (MatrixOp)7), "opA");
    }

    [Fact]
    public void Packing_validates_its_span()
    {
        AssertNames<ArgumentException>("b", () => PackedMatrix.Pack(MatrixOp.None, 3, 4, new float[11], 4), "11", "12");
        AssertNames<ArgumentOutOfRangeException>("ldb", () => PackedMatrix.Pack(MatrixOp.Transpose, 3, 4, new float[12], 2), "ldb = 2");
        AssertNames<ArgumentOutOfRangeException>("k", () => PackedMatrix.Pack(MatrixOp.None, -1, 4, new float[12], 4));
        var empty = PackedMatrix.Pack(MatrixOp.None, 0, 0, [], 0);
        SimdRnn.Gemm.Multiply(MatrixOp.None, 2, 1f, [], 0, empty, 0f, [], 0);
    }
}
