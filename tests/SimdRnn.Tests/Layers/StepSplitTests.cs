using SimdRnn.Layers;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Layers;

/// <summary>
/// The step loops run by a team: dividing the steps by batch rows or by hidden units, on any team size, gives bitwise
/// the single-threaded results (forward in both modes, backward), dense and with variable lengths (packed rows, whose
/// row split balances the valid steps rather than the rows), on every in-process path. The shapes are large enough
/// for the team to have two members on a 2-core machine (when the helper is free).
/// </summary>
[Trait("Category", "Kernel")]
public class StepSplitTests
{
    [Theory, MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    public void Every_step_split_and_team_size_gives_the_single_threaded_bits(SimdPath path)
    {
        // H = 128 is a multiple of every path's NR, so the hidden-unit split applies on every path.
        const int steps = 24, input = 17, hidden = 128;
        foreach ((CellKind cell, bool linearBeforeReset) in StackArbitraries.CellForms)
            foreach (int batch in new[] { 3, 40 })
            foreach (bool packed in new[] { false, true })
            {
                // Lengths over [T/2, T] in no particular order: the sorted rows' shares by count and by steps differ.
                int[] lengths = packed ? Enumerable.Range(0, batch).Select(row => steps / 2 + row * 7 % (steps / 2 + 1)).ToArray() : [];
                int[]? single = null;
                foreach ((int threads, StepSplitRule rule) in new[]
                         {
                             (1, StepSplitRule.Auto), (2, StepSplitRule.Auto), (2, StepSplitRule.BatchRows), (2, StepSplitRule.HiddenUnits),
                             (3, StepSplitRule.HiddenUnits), (3, StepSplitRule.BatchRows),
                         })
                {
                    var stack = new RecurrentStack(cell, input, hidden, layers: 2, bidirectional: true, new() { LinearBeforeReset = linearBeforeReset })
                    {
                        Path = path, MaxDegreeOfParallelism = threads, StepSplit = rule,
                    };
                    int[] bits = Run(stack, steps, batch, lengths);
                    if (single is null) single = bits;
                    else Assert.True(single.SequenceEqual(bits), $"{cell} (linearBeforeReset={linearBeforeReset}) {path} N={batch} packed={packed}: {threads} threads split by {rule} differ from 1 thread");
                }
            }
    }

    private static int[] Run(RecurrentStack stack, int steps, int batch, int[] lengths)
    {
        RecurrentParameters parameters = stack.CreateParameters(), gradients = stack.CreateParameters();
        for (int i = 0; i < parameters.All.Length; i++) parameters.All[i] = MathF.Sin(i) * 0.15f;
        bool lstm = stack.Cell == CellKind.Lstm;
        int states = stack.Layers * stack.Directions * batch * stack.HiddenSize, outputs = steps * batch * stack.Directions * stack.HiddenSize;
        float[] x = Enumerable.Range(0, steps * batch * stack.InputSize).Select(i => MathF.Cos(i)).ToArray();
        float[] h0 = Enumerable.Range(0, states).Select(i => MathF.Sin(2 * i) * 0.5f).ToArray(), c0 = lstm ? h0.Reverse().ToArray() : [];
        float[] y = new float[outputs], hT = new float[states], cT = new float[c0.Length];
        float[] yInference = new float[outputs], hInference = new float[states], cInference = new float[c0.Length];
        stack.Forward(steps, batch, x, h0, c0, parameters, yInference, hInference, cInference,
            new float[stack.WorkspaceLength(steps, batch, training: false, variableLengths: lengths.Length > 0)], training: false, lengths);
        var workspace = new float[stack.WorkspaceLength(steps, batch, training: true, variableLengths: lengths.Length > 0)];
        stack.Forward(steps, batch, x, h0, c0, parameters, y, hT, cT, workspace, training: true, lengths);
        float[] dy = Enumerable.Range(0, outputs).Select(i => MathF.Sin(3 * i)).ToArray(), dx = new float[x.Length];
        float[] dh0 = new float[states], dc0 = new float[c0.Length];
        stack.Backward(steps, batch, x, h0, parameters, y, dy, hT, cT, dx, dh0, dc0, gradients, workspace, lengths);
        return GemmBits([.. yInference, .. hInference, .. cInference, .. y, .. hT, .. cT, .. dx, .. dh0, .. dc0, .. gradients.All]);
    }

    private static int[] GemmBits(float[] values) => SimdRnn.Tests.Sgemm.GemmPropertyTests.Bitwise(values);
}
