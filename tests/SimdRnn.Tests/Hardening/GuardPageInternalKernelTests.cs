using SimdRnn.Execution;
using SimdRnn.Sgemm;
using SimdRnn.Tests.Cells;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Hardening;

/// <summary>
/// The internal row kernels called directly on spans of exactly the length their shape needs (strided rows end at the
/// last row's last column), each with an inaccessible page right after (or before) it, on every path.
/// The cell passes run through the tests' CellSteps, which fills the step operands as the layers do.
/// </summary>
[Trait("Category", "Kernel")]
public class GuardPageInternalKernelTests
{
    public sealed record CellShape(int Rows, int Hidden, int Ld, bool Save, int Tiles)
    {
        /// <summary>A rows x hidden matrix with row stride Ld, ending at its last element.</summary>
        public int Strided => (Rows - 1) * Ld + Hidden;

        public int Matrix(int gates = 1) => Rows * gates * Hidden;

        public override string ToString() => $"rows {Rows}, hidden {Hidden}, ld {Ld}, save {Save}, tiles {Tiles}";
    }

    /// <summary>One pass: the lengths of its buffers (in argument order) and the call.</summary>
    public sealed record CellPass(string Name, Func<CellShape, int[]> Lengths, Action<CallBuffers, CellShape, SimdPath> Run)
    {
        public override string ToString() => Name;
    }

    private static readonly CellPass[] Passes =
    [
        new("LstmCell.Forward", s => [s.Matrix(4), 4 * s.Hidden, s.Matrix(), s.Matrix(), s.Strided],
            (b, s, path) => CellSteps.LstmForward(b[0], b[1], b[2], b[3], b[4], s.Ld, s.Rows, s.Hidden, s.Save, path, s.Tiles)),
        new("LstmCell.Backward", s => [s.Matrix(4), s.Matrix(), s.Matrix(), s.Strided, s.Matrix(), s.Matrix()],
            (b, s, path) => CellSteps.LstmBackward(b[0], b[1], b[2], b[3], s.Ld, b[4], b[5], s.Rows, s.Hidden, path, s.Tiles)),
        new("GruCell.Forward", s => [s.Matrix(3), s.Matrix(3), 3 * s.Hidden, 3 * s.Hidden, s.Strided, s.Strided, s.Save ? s.Matrix() : 0],
            (b, s, path) => CellSteps.GruForward(b[0], b[1], b[2], b[3], b[4], s.Ld, b[5], s.Ld, b[6], s.Rows, s.Hidden, s.Save, path, s.Tiles)),
        new("GruCell.Backward", s => [s.Matrix(3), s.Matrix(), s.Strided, s.Strided, s.Matrix(), s.Matrix(3), s.Matrix()],
            (b, s, path) => CellSteps.GruBackward(b[0], b[1], b[2], s.Ld, b[3], s.Ld, b[4], b[5], b[6], s.Rows, s.Hidden, path, s.Tiles)),
        new("GruResetFirstCell.Forward phase 0", s => [s.Matrix(3), 3 * s.Hidden, s.Strided, s.Strided, s.Strided],
            (b, s, path) => CellSteps.GruResetFirstForward(0, b[0], b[1], b[2], s.Ld, b[3], s.Ld, b[4], s.Ld, s.Rows, s.Hidden, s.Save, path, s.Tiles)),
        new("GruResetFirstCell.Forward phase 1", s => [s.Matrix(3), 3 * s.Hidden, s.Strided, s.Strided, s.Strided],
            (b, s, path) => CellSteps.GruResetFirstForward(1, b[0], b[1], b[2], s.Ld, b[3], s.Ld, b[4], s.Ld, s.Rows, s.Hidden, s.Save, path, s.Tiles)),
        new("GruResetFirstCell.Backward phase 0", s => [s.Matrix(3), s.Strided, s.Strided, s.Matrix(), s.Matrix()],
            (b, s, path) => CellSteps.GruResetFirstBackward(0, b[0], b[1], s.Ld, b[2], s.Ld, b[3], b[4], s.Rows, s.Hidden, path, s.Tiles)),
        new("GruResetFirstCell.Backward phase 1", s => [s.Matrix(3), s.Strided, s.Strided, s.Matrix(), s.Matrix()],
            (b, s, path) => CellSteps.GruResetFirstBackward(1, b[0], b[1], s.Ld, b[2], s.Ld, b[3], b[4], s.Rows, s.Hidden, path, s.Tiles)),
        new("RnnCell.Forward tanh", s => [s.Matrix(), s.Hidden, s.Strided],
            (b, s, path) => CellSteps.RnnForward(b[0], b[1], b[2], s.Ld, s.Rows, s.Hidden, relu: false, path, s.Tiles)),
        new("RnnCell.Forward relu", s => [s.Matrix(), s.Hidden, s.Strided],
            (b, s, path) => CellSteps.RnnForward(b[0], b[1], b[2], s.Ld, s.Rows, s.Hidden, relu: true, path, s.Tiles)),
        new("RnnCell.Backward tanh", s => [s.Strided, s.Strided, s.Matrix(), s.Matrix()],
            (b, s, path) => CellSteps.RnnBackward(b[0], s.Ld, b[1], s.Ld, b[2], b[3], s.Rows, s.Hidden, relu: false, path, s.Tiles)),
        new("RnnCell.Backward relu", s => [s.Strided, s.Strided, s.Matrix(), s.Matrix()],
            (b, s, path) => CellSteps.RnnBackward(b[0], s.Ld, b[1], s.Ld, b[2], b[3], s.Rows, s.Hidden, relu: true, path, s.Tiles)),
    ];

    /// <summary>Rows 1..3 with every hidden tail, contiguous or strided rows; then a large pass as two row tiles.</summary>
    private static IEnumerable<CellShape> CellShapes()
    {
        foreach (int rows in new[] { 1, 2, 3 })
            foreach (int hidden in GuardPageCases.Lengths.Where(h => h is > 0 and <= 40))
                foreach (int pad in new[] { 0, 3 })
                    yield return new CellShape(rows, hidden, hidden + pad, Save: (hidden + pad) % 2 == 0, Tiles: 1);
        yield return new CellShape(2, 8193, 8195, Save: true, Tiles: 2);
    }

    /// <summary>Every pass (by name: theory rows must serialize) on every path with each guard side.</summary>
    public static TheoryData<string, SimdPath, GuardSide> PassesPathsAndSides
    {
        get
        {
            var data = new TheoryData<string, SimdPath, GuardSide>();
            foreach (CellPass pass in Passes)
                foreach (SimdPath path in TestPaths.InProcess)
                    foreach (GuardSide side in GuardPageCases.Sides)
                        data.Add(pass.Name, path, side);
            return data;
        }
    }

    [Theory, MemberData(nameof(PassesPathsAndSides))]
    public void Cell_passes_stay_inside_exact_buffers(string passName, SimdPath path, GuardSide side)
    {
        CellPass pass = Passes.Single(p => p.Name == passName);
        foreach (CellShape s in CellShapes())
        {
            // Values in (0, 1): valid activated gates for the backward passes, ordinary inputs for the forward ones.
            CallBuffer[] buffers = pass.Lengths(s)
                .Select((length, i) => (CallBuffer)GuardedCall.Values(length, seed: i).Select(v => 0.5f + v / 2.01f).ToArray())
                .ToArray();
            GuardedCall.AssertMatchesArrays(side, $"{pass} {path} {s}", b => pass.Run(b, s, path), buffers);
        }
    }

    [Theory, MemberData(nameof(GuardPageCases.PathsAndSides), MemberType = typeof(GuardPageCases))]
    public void Column_sums_stay_inside_exact_buffers(SimdPath path, GuardSide side)
    {
        foreach (int rows in new[] { 0, 1, 2, 5 })
            foreach (int columns in GuardPageCases.Lengths)
                GuardedCall.AssertMatchesArrays(side, $"ColumnSums {path} rows {rows} columns {columns}",
                    b => ColumnSums.AddTo(new KernelContext(path, 1), b[0], rows, columns, b[1]), GuardedCall.Values(rows * columns), GuardedCall.Values(columns, seed: -1));
    }
}
