using SimdRnn.Tests.Support;
using SimdRnn.Tests.Layers;

namespace SimdRnn.Tests.Hardening;

/// <summary>
/// The whole stack (inference forward, training forward, backward; with parameters or prepared weights) with every tensor
/// it takes and the workspaces, of exactly <see cref="RecurrentStack.WorkspaceLength(int, int, bool, bool, bool)"/> floats for
/// inference and for training, each in its own buffer with an inaccessible page right after (or before) it, on every
/// path. The gradients live in the managed <see cref="RecurrentParameters"/>.
/// </summary>
[Trait("Category", "Kernel")]
public class GuardPageStackTests
{
    public sealed record Shape(CellKind Cell, int Layers, bool Bidirectional, int T, int N, int I, int H, bool InputGradient, int Threads,
        bool Prepared = false, bool Bias = true, bool BatchFirst = false, bool VariableLengths = false, float Dropout = 0, bool LinearBeforeReset = true)
    {
        /// <summary>With variable lengths, rows of lengths cycling through [1, T] (row 0 shorter than T where T > 1); otherwise none.</summary>
        public int[] Lengths => VariableLengths ? [.. Enumerable.Range(0, N).Select(n => 1 + (n + T - 2 + T) % T)] : [];

        public override string ToString() =>
            $"{Cell} layers={Layers} bidirectional={Bidirectional} T={T} N={N} I={I} H={H} dx={InputGradient} threads={Threads} prepared={Prepared} " +
            $"bias={Bias} batchFirst={BatchFirst} lengths=[{string.Join(",", Lengths)}] dropout={Dropout} linearBeforeReset={LinearBeforeReset}";

        public RecurrentStackOptions Options => new() { Bias = Bias, BatchFirst = BatchFirst, Dropout = Dropout, LinearBeforeReset = LinearBeforeReset };
    }

    /// <summary>Each cell with H = 1..17 (every tail of every width), the other sizes and the layout taking turns.</summary>
    private static IEnumerable<Shape> Shapes()
    {
        foreach ((CellKind cell, bool linearBeforeReset) in StackArbitraries.CellForms)
            for (int h = 1; h <= 17; h++)
                yield return new Shape(cell, Layers: 1 + h % 2, Bidirectional: h / 2 % 2 == 1, T: 1 + h % 3, N: 1 + (h + (int)cell) % 4,
                    I: 1 + h * 7 % 19, h, InputGradient: h % 5 != 4, Threads: 1, Prepared: h % 3 == 1, Bias: h % 4 != 2,
                    BatchFirst: (h + (int)cell) % 3 == 0, VariableLengths: h % 4 == 3, Dropout: h % 3 == 2 ? 0.5f : 0f,
                    LinearBeforeReset: linearBeforeReset);

        // Enough work for a team of two: split by batch rows (H = 129 fits no NR), and by hidden units (H = 64, N = 2).
        yield return new Shape(CellKind.RnnTanh, 1, true, 2, 128, 5, 129, true, 2);
        yield return new Shape(CellKind.Lstm, 1, true, 40, 2, 5, 64, true, 2, Prepared: true);
        yield return new Shape(CellKind.Gru, 2, false, 40, 3, 7, 64, true, 2);
        yield return new Shape(CellKind.Gru, 2, true, 9, 3, 7, 64, true, 2, Prepared: true, Bias: false);
        // Batch-first with both splits and both decompositions of dW_hh (per batch row: T - 1 >= N; per step otherwise).
        yield return new Shape(CellKind.Lstm, 2, true, 3, 128, 5, 129, true, 2, BatchFirst: true);
        yield return new Shape(CellKind.Gru, 1, true, 40, 3, 7, 64, true, 2, Prepared: true, BatchFirst: true);
        // The GRU that resets first (two products and meetings per step) on a team, both splits, dense and packed.
        yield return new Shape(CellKind.Gru, 2, true, 9, 3, 7, 64, true, 2, Prepared: true, LinearBeforeReset: false);
        yield return new Shape(CellKind.Gru, 1, true, 3, 128, 5, 129, true, 2, BatchFirst: true, LinearBeforeReset: false);
        yield return new Shape(CellKind.Gru, 1, true, 40, 3, 7, 64, true, 2, VariableLengths: true, LinearBeforeReset: false);
        yield return new Shape(CellKind.RnnRelu, 2, false, 5, 2, 3, 64, false, 2, Bias: false, BatchFirst: true, Dropout: 0.25f);
        // Variable lengths: every cell, both directions, N = 4 rows over T = 3 (lengths 2, 3, 1, 2).
        foreach (CellKind cell in Enum.GetValues<CellKind>())
            yield return new Shape(cell, 2, true, 3, 4, 5, 9, true, 1, Prepared: cell == CellKind.Gru, Bias: cell != CellKind.Lstm,
                BatchFirst: cell is CellKind.Gru or CellKind.RnnRelu, VariableLengths: true,
                Dropout: cell is CellKind.Lstm or CellKind.RnnRelu ? 0.5f : 0f);
        yield return new Shape(CellKind.Lstm, 1, true, 40, 2, 5, 64, true, 2, VariableLengths: true);
        yield return new Shape(CellKind.RnnTanh, 1, true, 2, 128, 5, 129, true, 2, BatchFirst: true, VariableLengths: true);
    }

    [Theory, MemberData(nameof(GuardPageCases.PathsAndSides), MemberType = typeof(GuardPageCases))]
    public void Forward_and_backward_stay_inside_exact_buffers(SimdPath path, GuardSide side)
    {
        foreach (Shape s in Shapes())
        {
            var stack = new RecurrentStack(s.Cell, s.I, s.H, s.Layers, s.Bidirectional, s.Options) { Path = path, MaxDegreeOfParallelism = s.Threads };
            RecurrentParameters parameters = stack.CreateParameters();
            GuardedCall.Values(parameters.All.Length, 0.4f).CopyTo(parameters.All, 0);
            int inputs = s.T * s.N * s.I, outputs = s.T * s.N * stack.Directions * s.H, states = s.Layers * stack.Directions * s.N * s.H;
            int cells = s.Cell == CellKind.Lstm ? states : 0;

            PreparedWeights? prepared = s.Prepared ? stack.Prepare(parameters, training: true) : null;
            int[] lengths = s.Lengths;
            GuardedCall.AssertMatchesArrays(side, $"{path} {s}", b =>
                {
                    RecurrentParameters gradients = stack.CreateParameters();
                    if (prepared is null)
                    {
                        stack.Forward(s.T, s.N, b[0], b[1], b[2], parameters, b[3], b[4], b[5], b[14], training: false, lengths);
                        stack.Forward(s.T, s.N, b[0], b[1], b[2], parameters, b[3], b[4], b[5], b[12], training: true, lengths, dropoutSeed: 77);
                        stack.Backward(s.T, s.N, b[0], b[1], parameters, b[3], b[6], b[7], b[8], b[9], b[10], b[11], gradients, b[12], lengths);
                    }
                    else
                    {
                        stack.Forward(s.T, s.N, b[0], b[1], b[2], prepared, b[3], b[4], b[5], b[14], training: false, lengths);
                        stack.Forward(s.T, s.N, b[0], b[1], b[2], prepared, b[3], b[4], b[5], b[12], training: true, lengths, dropoutSeed: 77);
                        stack.Backward(s.T, s.N, b[0], b[1], prepared, b[3], b[6], b[7], b[8], b[9], b[10], b[11], gradients, b[12], lengths);
                    }

                    gradients.All.CopyTo(b[13]);
                },
                GuardedCall.Values(inputs, seed: 1), GuardedCall.Values(states, seed: 2), GuardedCall.Values(cells, seed: 3), // x, h0, c0
                new float[outputs], new float[states], new float[cells], // y, hT, cT
                GuardedCall.Values(outputs, seed: 4), GuardedCall.Values(states, seed: 5), GuardedCall.Values(cells, seed: 6), // dy, dhT, dcT
                new float[s.InputGradient ? inputs : 0], new float[states], new float[cells], // dx, dh0, dc0
                CallBuffer.Scratch((int)stack.WorkspaceLength(s.T, s.N, training: true, s.Prepared, s.VariableLengths)), // workspace
                new float[parameters.All.Length], // gradients
                CallBuffer.Scratch((int)stack.WorkspaceLength(s.T, s.N, training: false, s.Prepared, s.VariableLengths))); // inference workspace
        }
    }
}
