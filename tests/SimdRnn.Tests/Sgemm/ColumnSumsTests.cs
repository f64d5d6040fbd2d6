using SimdRnn.Execution;
using SimdRnn.Sgemm;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Sgemm;

/// <summary>
/// The bias gradients' column sums: each sum gets its column's elements added in row order, so the result is bitwise
/// a plain float loop, on every path and for every column count (the four-vector blocks, single vectors, the scalar
/// tail); nothing past the columns is written.
/// </summary>
[Trait("Category", "Kernel")]
public class ColumnSumsTests
{
    [Theory, MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    public void Column_sums_add_each_column_in_row_order(SimdPath path)
    {
        var random = new Random(3);
        foreach (int rows in new[] { 0, 1, 2, 7 })
            for (int columns = 0; columns <= 75; columns += columns < 20 ? 1 : 11)
            {
                float[] matrix = [.. Enumerable.Range(0, rows * columns).Select(_ => random.NextSingle() * 8 - 4)];
                float[] start = [.. Enumerable.Range(0, columns).Select(_ => random.NextSingle() - 0.5f)];
                var expected = (float[])start.Clone();
                for (int j = 0; j < columns; j++)
                    for (int r = 0; r < rows; r++) expected[j] += matrix[r * columns + j];
                var sums = new Guarded(start);
                ColumnSums.AddTo(new KernelContext(path, 1), matrix, rows, columns, sums.Span);
                sums.AssertGuardsIntact();
                Assert.True(GemmPropertyTests.Bitwise(expected).SequenceEqual(GemmPropertyTests.Bitwise(sums.ToArray())),
                    $"{path} {rows} x {columns}: column sums differ");
            }
    }
}
