using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Layers;

/// <summary>
/// Batch invariance, the guarantee a serving system needs when it batches requests dynamically: a sequence's outputs
/// and final states are bitwise the same whatever other rows share its batch and whatever the batch size, on every
/// path and thread count (every element of every product takes the same chain of operations whatever M, and the cell
/// steps are element-wise).
/// </summary>
[Trait("Category", "Kernel")]
public class BatchInvarianceTests
{
    [Theory, MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    public void A_row_computed_alone_is_bitwise_the_same_row_in_any_batch(SimdPath path)
    {
        const int steps = 7, input = 9, hidden = 48;
        foreach ((CellKind Cell, bool LinearBeforeReset) form in StackArbitraries.CellForms)
            foreach (int threads in new[] { 1, 2 })
            {
                RecurrentStack stack = StackChecks.BidirectionalStack(form, input, hidden, path, threads);
                PreparedWeights prepared = stack.Prepare(StackChecks.WavyParameters(stack));
                // The same sequence (row "ours") alone, and as row 2 of batches of 3 and 37 other random rows.
                float[] ours = StackChecks.WavyInputs(steps * input);
                int[] alone = Run(stack, prepared, steps, [ours], row: 0);
                foreach (int batch in new[] { 3, 37 })
                {
                    var random = new Random(batch);
                    float[][] rows = Enumerable.Range(0, batch)
                        .Select(r => r == 2 ? ours : Enumerable.Range(0, steps * input).Select(_ => random.NextSingle() - 0.5f).ToArray()).ToArray();
                    Assert.True(alone.SequenceEqual(Run(stack, prepared, steps, rows, row: 2)),
                        $"{StackChecks.Label(stack)}: row 2 of a batch of {batch} differs from the row alone");
                }
            }
    }

    /// <summary>Runs the rows (each T x I) as one batch; returns the bits of row <paramref name="row"/>'s outputs and final states.</summary>
    private static int[] Run(RecurrentStack stack, PreparedWeights prepared, int steps, float[][] rows, int row)
    {
        int batch = rows.Length, input = stack.InputSize, hidden = stack.HiddenSize, width = stack.Directions * hidden;
        int states = stack.Layers * stack.Directions, cells = stack.Cell == CellKind.Lstm ? states * batch * hidden : 0;
        var x = new float[steps * batch * input];
        for (int r = 0; r < batch; r++)
            for (int t = 0; t < steps; t++)
                rows[r].AsSpan(t * input, input).CopyTo(x.AsSpan((t * batch + r) * input));
        float[] y = new float[steps * batch * width], hT = new float[states * batch * hidden], cT = new float[cells];
        stack.Forward(steps, batch, x, new float[hT.Length], new float[cells], prepared, y, hT, cT,
            new float[stack.WorkspaceLength(steps, batch, training: false, preparedWeights: true)], training: false);
        var result = new List<float>();
        for (int t = 0; t < steps; t++) result.AddRange(y.AsSpan((t * batch + row) * width, width).ToArray());
        for (int s = 0; s < states; s++)
        {
            result.AddRange(hT.AsSpan((s * batch + row) * hidden, hidden).ToArray());
            if (cells > 0) result.AddRange(cT.AsSpan((s * batch + row) * hidden, hidden).ToArray());
        }

        return [.. result.Select(BitConverter.SingleToInt32Bits)];
    }
}
