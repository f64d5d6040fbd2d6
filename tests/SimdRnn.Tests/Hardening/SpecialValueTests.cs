using SimdRnn.Reference;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Hardening;

/// <summary>
/// NaN and infinities are never turned into ordinary numbers by a linear step (GEMM, Linear, SGD, Adam) and NaN never by
/// anything; where a non-linearity legitimately saturates an infinity (tanh(inf) = 1) the result is the reference's.
/// Denormal inputs give the reference's result. (Activations: ActivationAccuracyTests; beta = 0 ignoring NaN in C:
/// GemmBehaviourTests; clipping of a NaN norm: TrainingKernelTests.)
/// </summary>
public class SpecialValueTests
{
    private static readonly float[] Specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity];

    private static bool Same(float expected, float actual) =>
        float.IsNaN(expected) ? float.IsNaN(actual) : expected == actual;

    [Theory]
    [MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    [Trait("Category", "Kernel")]
    public void Gemm_carries_nan_and_infinity_from_a_b_and_c_into_exactly_their_row_column_or_element(SimdPath path)
    {
        // Positive operands, so an infinity cannot cancel: +inf in gives +inf out, -inf gives -inf, NaN gives NaN.
        foreach ((int m, int n, int k) in new[] { (1, 19, 5), (3, 40, 70), (9, 33, 17), (30, 70, 300) })
            foreach (float special in Specials)
            {
                var random = new Random(m * n + k);
                float[] a = Enumerable.Range(0, m * k).Select(_ => 0.5f + (float)random.NextDouble()).ToArray();
                float[] b = Enumerable.Range(0, k * n).Select(_ => 0.5f + (float)random.NextDouble()).ToArray();
                int row = random.Next(m), column = random.Next(n), inner = random.Next(k);
                float[] specialA = (float[])a.Clone(), specialB = (float[])b.Clone();
                specialA[row * k + inner] = special;
                specialB[inner * n + column] = special;
                float[] c = Enumerable.Range(0, m * n).Select(_ => 1f).ToArray();
                c[row * n + column] = special;

                var fromA = new float[m * n];
                SimdRnn.Gemm.Multiply(MatrixOp.None, MatrixOp.None, m, n, k, 1f, specialA, k, b, n, 0f, fromA, n, 1, path);
                var fromB = new float[m * n];
                SimdRnn.Gemm.Multiply(MatrixOp.None, MatrixOp.None, m, n, k, 1f, a, k, specialB, n, 0f, fromB, n, 1, path);
                SimdRnn.Gemm.Multiply(MatrixOp.None, MatrixOp.None, m, n, k, 1f, a, k, b, n, 1f, c, n, 1, path);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                    {
                        string where = $"{path} {m}x{n}x{k} {special} at [{row},{inner}]/[{inner},{column}]: C[{i},{j}]";
                        Assert.True(i == row ? Same(special, fromA[i * n + j]) : float.IsFinite(fromA[i * n + j]), $"{where} from A = {fromA[i * n + j]}");
                        Assert.True(j == column ? Same(special, fromB[i * n + j]) : float.IsFinite(fromB[i * n + j]), $"{where} from B = {fromB[i * n + j]}");
                        bool at = i == row && j == column;
                        Assert.True(at ? Same(special, c[i * n + j]) : float.IsFinite(c[i * n + j]), $"{where} from C (beta 1) = {c[i * n + j]}");
                    }
            }
    }

    [Theory]
    [MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    [Trait("Category", "Kernel")]
    public void Gemm_of_denormals_matches_the_reference(SimdPath path)
    {
        foreach ((int m, int n, int k) in new[] { (2, 17, 9), (11, 40, 64), (24, 50, 300) })
        {
            var random = new Random(m + n + k);
            // A: denormals (1e-45 .. 1e-38) of both signs; B: ordinary values, so the products are denormal too.
            float[] a = Enumerable.Range(0, m * k).Select(_ => BitConverter.Int32BitsToSingle(random.Next(1, 0x007FFFFF) | (random.Next(2) << 31))).ToArray();
            float[] b = Enumerable.Range(0, k * n).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
            var c = new float[m * n];
            SimdRnn.Gemm.Multiply(MatrixOp.None, MatrixOp.None, m, n, k, 1f, a, k, b, n, 0f, c, n, 1, path);
            double[] exact = ReferenceGemm.Multiply(false, false, m, n, k, 1, a, k, b, n, 0, c, n);
            double[] scale = ReferenceGemm.Multiply(false, false, m, n, k, 1, a, k, b, n, 0, c, n, absoluteValues: true);
            for (int i = 0; i < c.Length; i++)
            {
                // The usual relative bound, plus half a denormal step per rounding (k products and k sums).
                double bound = 3 * k * Math.Pow(2, -24) * scale[i] + k * (double)float.Epsilon;
                Assert.True(Math.Abs(c[i] - exact[i]) <= bound, $"{path} {m}x{n}x{k}: C[{i}] = {c[i]:R}, reference {exact[i]:R}, bound {bound:R}");
                Assert.True(c[i] != 0 || exact[i] == 0 || Math.Abs(exact[i]) <= bound, $"{path}: C[{i}] flushed to zero");
            }
        }
    }

    public static TheoryData<CellKind> Cells => new(Enum.GetValues<CellKind>());

    /// <summary>Positive weights and inputs, so that every pre-activation is positive (relu passes everything) and nothing cancels.</summary>
    private static (RecurrentStack Stack, RecurrentParameters P, float[] X, float[] H0, float[] C0) PositiveStack(CellKind cell, bool bidirectional)
    {
        var stack = new RecurrentStack(cell, 5, 6, layers: 2, bidirectional);
        RecurrentParameters p = stack.CreateParameters();
        for (int i = 0; i < p.All.Length; i++) p.All[i] = 0.02f + i % 5 * 0.01f;
        int states = 2 * stack.Directions * 2 * 6;
        float[] x = Enumerable.Range(0, 4 * 2 * 5).Select(i => 0.1f + i % 7 * 0.1f).ToArray();
        float[] h0 = Enumerable.Range(0, states).Select(i => 0.05f * (1 + i % 3)).ToArray();
        float[] c0 = cell == CellKind.Lstm ? Enumerable.Range(0, states).Select(i => 0.1f * (i % 4)).ToArray() : [];
        return (stack, p, x, h0, c0);
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void Nan_in_the_input_reaches_every_later_output_and_nan_in_dy_every_gradient(CellKind cell)
    {
        const int steps = 4, batch = 2, hidden = 6;
        var (stack, p, x, h0, c0) = PositiveStack(cell, bidirectional: false);
        int states = h0.Length;
        x[0] = float.NaN; // step 0, batch row 0
        float[] y = new float[steps * batch * hidden], hT = new float[states], cT = new float[c0.Length];
        var workspace = new float[stack.WorkspaceLength(steps, batch)];
        stack.Forward(steps, batch, x, h0, c0, p, y, hT, cT, workspace, training: true);
        for (int t = 0; t < steps; t++)
            for (int j = 0; j < hidden; j++)
            {
                Assert.True(float.IsNaN(y[(t * batch) * hidden + j]), $"{cell}: y[t={t}, row 0, {j}] = {y[(t * batch) * hidden + j]}");
                Assert.True(float.IsFinite(y[(t * batch + 1) * hidden + j]), $"{cell}: row 1 was touched by row 0's NaN");
            }

        // Backward from clean inputs, NaN in dy at the last step of row 0: every earlier dx of row 0 and every weight
        // gradient (each sums over all rows) is NaN; row 1's dx stays finite.
        x[0] = 0.5f;
        stack.Forward(steps, batch, x, h0, c0, p, y, hT, cT, workspace, training: true);
        float[] dy = Enumerable.Repeat(0.1f, y.Length).ToArray();
        dy[(steps - 1) * batch * hidden] = float.NaN;
        float[] dx = new float[x.Length], dh0 = new float[states], dc0 = new float[c0.Length];
        RecurrentParameters gradients = stack.CreateParameters();
        stack.Backward(steps, batch, x, h0, p, y, dy, new float[states], new float[c0.Length], dx, dh0, dc0, gradients, workspace);
        for (int t = 0; t < steps; t++)
            for (int i = 0; i < 5; i++)
            {
                Assert.True(float.IsNaN(dx[(t * batch) * 5 + i]), $"{cell}: dx[t={t}, row 0, {i}] = {dx[(t * batch) * 5 + i]}");
                Assert.True(float.IsFinite(dx[(t * batch + 1) * 5 + i]), $"{cell}: dx of row 1 is not finite");
            }

        foreach (string name in gradients.Names)
            Assert.True(gradients[name].ToArray().All(float.IsNaN), $"{cell}: a gradient of {name} is not NaN");
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void Infinities_and_denormals_in_the_stack_give_the_reference_result(CellKind cell)
    {
        const int steps = 4, batch = 2;
        var (stack, p, x, h0, c0) = PositiveStack(cell, bidirectional: true);
        x[0] = float.PositiveInfinity;
        x[7] = float.NegativeInfinity;
        x[12] = float.Epsilon;
        x[13] = -1e-40f;
        h0[1] = 3e-39f;
        float[] y = new float[steps * batch * 12], hT = new float[h0.Length], cT = new float[c0.Length];
        stack.Forward(steps, batch, x, h0, c0, p, y, hT, cT, new float[stack.WorkspaceLength(steps, batch)], training: false);

        var reference = new ReferenceRnn((ReferenceCellKind)(int)cell, 5, 6, 2, bidirectional: true);
        var weights = p.Names.ToDictionary(name => name, name => p[name].ToArray().Select(v => (double)v).ToArray());
        var expected = reference.Forward(steps, batch, ToDouble(x), ToDouble(h0), cell == CellKind.Lstm ? ToDouble(c0) : null, weights);
        AssertLikeReference(expected.Y, y, $"{cell} y");
        AssertLikeReference(expected.HT, hT, $"{cell} hT");
        if (cell == CellKind.Lstm) AssertLikeReference(expected.CT!, cT, $"{cell} cT");
    }

    private static double[] ToDouble(float[] values) => values.Select(v => (double)v).ToArray();

    /// <summary>NaN where the reference has NaN, the same infinity where it has one, else within the stack tests' bound.</summary>
    private static void AssertLikeReference(double[] expected, float[] actual, string what)
    {
        double bound = 1e-4 * (1 + expected.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max());
        for (int i = 0; i < expected.Length; i++)
        {
            bool ok = double.IsNaN(expected[i]) ? float.IsNaN(actual[i])
                : double.IsInfinity(expected[i]) ? actual[i] == expected[i]
                : Math.Abs(actual[i] - expected[i]) <= bound;
            Assert.True(ok, $"{what}[{i}]: {actual[i]:R}, reference {expected[i]:R}");
        }
    }

    [Fact]
    public void Linear_and_optimizers_carry_nan_and_infinity()
    {
        foreach (float special in Specials)
        {
            // Linear forward: a special input value makes its whole output row special-or-NaN (never finite).
            float[] x = [1, 2, 3, 4, 5, 6], w = [0.5f, 0.25f, 1, 2, 0.75f, 1.5f], bias = [0.1f, 0.2f];
            x[1] = special;
            var y = new float[4];
            Linear.Forward(2, 3, 2, x, w, bias, y);
            Assert.True(!float.IsFinite(y[0]) && !float.IsFinite(y[1]) && float.IsFinite(y[2]) && float.IsFinite(y[3]), $"Linear.Forward {special}: {string.Join(", ", y)}");

            // Linear backward: a special dy reaches dx's row, dW's row and db's entry.
            float[] dy = [1, 1, 1, 1];
            dy[0] = special;
            x[1] = 2;
            float[] dx = new float[6], dw = new float[6], db = new float[2];
            Linear.Backward(2, 3, 2, x, w, dy, dx, dw, db);
            Assert.True(dx.Take(3).All(v => !float.IsFinite(v)) && dx.Skip(3).All(float.IsFinite), $"Linear dx {special}: {string.Join(", ", dx)}");
            Assert.True(dw.Take(3).All(v => !float.IsFinite(v)) && dw.Skip(3).All(float.IsFinite), $"Linear dW {special}: {string.Join(", ", dw)}");
            Assert.True(!float.IsFinite(db[0]) && float.IsFinite(db[1]), $"Linear db {special}");

            // SGD: p - lr g is -special for an infinite g (exactly), NaN for NaN; a special parameter stays special.
            for (int length = 1; length <= 40; length += 13)
            {
                float[] p = Enumerable.Repeat(1f, length).ToArray(), g = Enumerable.Repeat(0.5f, length).ToArray();
                g[length - 1] = special;
                p[0] = special;
                Optimizer.SgdStep(p, g, 0.1f);
                Assert.True(Same(special, p[0]) || (length == 1 && float.IsNaN(p[0])), $"SGD p[0] {special} -> {p[0]}");
                if (length > 1) Assert.True(Same(-special, p[length - 1]), $"SGD g {special} -> p {p[length - 1]}");
                Assert.All(p.Skip(1).Take(length - 2), v => Assert.Equal(0.95f, v));

                // Adam: a special gradient makes that parameter and both moments non-finite; the others stay finite.
                float[] q = Enumerable.Repeat(1f, length).ToArray(), m = new float[length], v = new float[length];
                Optimizer.AdamStep(q, g, m, v, 1, 1e-3f);
                Assert.True(!float.IsFinite(q[length - 1]) && !float.IsFinite(m[length - 1]) && !float.IsFinite(v[length - 1]),
                    $"Adam g {special}: p {q[length - 1]}, m {m[length - 1]}, v {v[length - 1]}");
                Assert.All(q.Take(length - 1), value => Assert.True(float.IsFinite(value)));
            }
        }
    }

    [Fact]
    public void Softmax_cross_entropy_with_infinite_logits_is_non_finite_or_the_reference()
    {
        const int classes = 37;
        float[] Row(float value, int at) => Enumerable.Range(0, classes).Select(i => i == at ? value : i * 0.1f - 1).ToArray();
        var d = new float[classes];
        // NaN or +inf anywhere: the loss and the row's gradient are NaN (inf - max is NaN), never a number.
        foreach (float special in new[] { float.NaN, float.PositiveInfinity })
            foreach (int at in new[] { 0, 5, 36 })
            {
                double loss = SoftmaxCrossEntropy.ForwardBackward(Row(special, at), [5], d, classes);
                Assert.True(double.IsNaN(loss) && d.All(float.IsNaN), $"{special} at {at}: loss {loss}");
            }

        // -inf at the target: probability 0, so the loss is +inf. Elsewhere: that class gets probability 0 and the
        // result is finite, as PyTorch and the double-precision reference have it.
        Assert.True(double.IsPositiveInfinity(SoftmaxCrossEntropy.ForwardBackward(Row(float.NegativeInfinity, 5), [5], d, classes)));
        float[] logits = Row(float.NegativeInfinity, 9);
        double finite = SoftmaxCrossEntropy.ForwardBackward(logits, [5], d, classes);
        (double expected, double[] expectedD) = ReferenceTraining.SoftmaxCrossEntropy(logits, [5], classes, 1);
        Assert.True(Math.Abs(finite - expected) <= 1e-5, $"loss {finite} vs reference {expected}");
        Assert.Equal(0f, d[9]);
        for (int i = 0; i < classes; i++) Assert.True(Math.Abs(d[i] - expectedD[i]) <= 1e-6, $"dLogits[{i}] {d[i]} vs {expectedD[i]}");
    }
}
