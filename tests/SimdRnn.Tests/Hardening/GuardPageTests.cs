using SimdRnn.Tests.Activations;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Hardening;

/// <summary>
/// The element-wise and training kernels on buffers of exact length with an inaccessible page right after (or before)
/// each, over every tail length: a vector load or store past either end crashes the process.
/// </summary>
[Trait("Category", "Kernel")]
public class GuardPageTests
{
    [Theory, MemberData(nameof(GuardPageCases.PathsAndSides), MemberType = typeof(GuardPageCases))]
    public void Activations_stay_inside_exact_buffers(SimdPath path, GuardSide side)
    {
        foreach (int length in GuardPageCases.Lengths)
        {
            float[] x = GuardedCall.Values(length, 6f), zeros = new float[length];
            foreach (ActivationKernels.Unary unary in ActivationKernels.Unaries)
            {
                GuardedCall.AssertMatchesArrays(side, $"{unary} {path} length {length}", b => unary.Run(b[0], b[1], path), x, zeros);
                GuardedCall.AssertMatchesArrays(side, $"{unary} in place {path} length {length}", b => unary.Run(b[0], b[0], path), x);
            }

            float[] dy = GuardedCall.Values(length, 3f, seed: -length);
            foreach (ActivationKernels.Binary binary in ActivationKernels.Binaries)
            {
                float[] y = x.Select(v => ActivationKernels.ForwardOutput(binary.Name, v)).ToArray();
                GuardedCall.AssertMatchesArrays(side, $"{binary} {path} length {length}", b => binary.Run(b[0], b[1], b[2], path), y, dy, zeros);
                GuardedCall.AssertMatchesArrays(side, $"{binary} in place {path} length {length}", b => binary.Run(b[0], b[1], b[1], path), y, dy);
            }
        }
    }

    [Theory, MemberData(nameof(GuardPageCases.PathsAndSides), MemberType = typeof(GuardPageCases))]
    public void Optimizer_steps_and_clipping_stay_inside_exact_buffers(SimdPath path, GuardSide side)
    {
        foreach (int length in GuardPageCases.Lengths)
        {
            float[] parameters = GuardedCall.Values(length), gradients = GuardedCall.Values(length, 2f, seed: -length);
            float[] m = GuardedCall.Values(length, 0.1f, seed: 1), v = GuardedCall.Values(length, 0.1f, seed: 2).Select(Math.Abs).ToArray();
            string what = $"length {length}";
            GuardedCall.AssertMatchesArrays(side, "SgdStep " + what, b => Optimizer.SgdStep(path, b[0], b[1], 0.1f), parameters, gradients);
            GuardedCall.AssertMatchesArrays(side, "AdamStep " + what, b => Optimizer.AdamStep(path, b[0], b[1], b[2], b[3], 3, 0.01f, 0.9f, 0.999f, 1e-8f), parameters, gradients, m, v);
            GuardedCall.AssertMatchesArrays(side, "ClipByValue " + what, b => GradientClipping.ClipByValue(path, b[0], 0.5f), gradients);
            // Three gradients of different tails, scaled (norm above 0.5) or not (below 1000).
            CallBuffer[] three = [gradients, GuardedCall.Values(length / 3), GuardedCall.Values(length % 17, seed: 5)];
            GuardedCall.AssertMatchesArrays(side, "GlobalNorm " + what, b => GradientClipping.GlobalNorm(path, [b.Memory(0), b.Memory(1), b.Memory(2)]), three);
            foreach (float maxNorm in new[] { 0.5f, 1000f })
                GuardedCall.AssertMatchesArrays(side, $"ClipByGlobalNorm {maxNorm} {what}",
                    b => GradientClipping.ClipByGlobalNorm(path, [b.Memory(0), b.Memory(1), b.Memory(2)], maxNorm), three);
        }
    }

    [Theory, MemberData(nameof(GuardPageCases.PathsAndSides), MemberType = typeof(GuardPageCases))]
    public void Softmax_cross_entropy_stays_inside_exact_buffers(SimdPath path, GuardSide side)
    {
        foreach (int rows in new[] { 1, 2, 3 })
            foreach (int classes in GuardPageCases.Lengths.Where(c => c > 0))
            {
                float[] logits = GuardedCall.Values(rows * classes, 8f);
                // The targets are read-only: one guarded copy serves both runs.
                using var targets = GuardPageMemory<int>.CopyOf(Enumerable.Range(0, rows).Select(r => (r * 7 + classes / 2) % classes).ToArray(), side);
                string what = $"rows {rows} classes {classes}";
                GuardedCall.AssertMatchesArrays(side, "SoftmaxCrossEntropy " + what,
                    b => SoftmaxCrossEntropy.ForwardBackward(path, b[0], targets.GetSpan(), b[1], classes, 1f / rows), logits, new float[logits.Length]);
                GuardedCall.AssertMatchesArrays(side, "SoftmaxCrossEntropy in place " + what,
                    b => SoftmaxCrossEntropy.ForwardBackward(path, b[0], targets.GetSpan(), b[0], classes, 1f / rows), logits);
            }
    }

    [Theory, MemberData(nameof(GuardPageCases.PathsAndSides), MemberType = typeof(GuardPageCases))]
    public void Linear_forward_and_backward_stay_inside_exact_buffers(SimdPath path, GuardSide side)
    {
        foreach (int rows in new[] { 1, 2, 5 })
            foreach (int inputs in new[] { 1, 5, 16, 17 })
                foreach (int outputs in GuardPageCases.Lengths.Where(o => o is > 0 and <= 40))
                {
                    float[] x = GuardedCall.Values(rows * inputs), weight = GuardedCall.Values(outputs * inputs, 0.5f, seed: 1);
                    float[] bias = GuardedCall.Values(outputs, seed: 2), dy = GuardedCall.Values(rows * outputs, seed: 3);
                    string what = $"rows {rows} inputs {inputs} outputs {outputs}";
                    GuardedCall.AssertMatchesArrays(side, "Linear.Forward " + what,
                        b => Linear.Forward(path, rows, inputs, outputs, b[0], b[1], b[2], b[3], 1), x, weight, bias, new float[rows * outputs]);
                    GuardedCall.AssertMatchesArrays(side, "Linear.Backward " + what,
                        b => Linear.Backward(path, rows, inputs, outputs, b[0], b[1], b[2], b[3], b[4], b[5], 1),
                        x, weight, dy, new float[rows * inputs], GuardedCall.Values(outputs * inputs, seed: 4), bias);
                }
    }
}
