using SimdRnn.Activations;
using SimdRnn.Reference;

namespace SimdRnn.Tests.Activations;

public delegate void UnaryRun(ReadOnlySpan<float> x, Span<float> y, SimdPath path);
public delegate void BinaryRun(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, SimdPath path);

/// <summary>One table of (kernel, reference, bound) that drives every activation test.</summary>
public static class ActivationKernels
{
    /// <summary>A forward activation; <paramref name="MaxUlp"/> is the contract's bound at each input.</summary>
    public sealed record Unary(string Name, UnaryRun Run, Func<float, float> Reference, Func<float, long> MaxUlp)
    {
        public override string ToString() => Name;
    }

    public sealed record Binary(string Name, BinaryRun Run, Func<float, float, float> Reference, long MaxUlp)
    {
        public override string ToString() => Name;
    }

    public static readonly Unary Tanh = new("Tanh", (x, y, p) => Activation.Unary<TanhOperator>(p, x, y), ReferenceActivation.Tanh, _ => 1);

    /// <summary>Measured over every float on every path: 2 ULP only at inputs in [-16, -1] (where e^x / (1 + e^x) adds
    /// the rounding of e^x to that of 1 + e^x), 1 ULP everywhere else.</summary>
    public static readonly Unary Sigmoid = new("Sigmoid", (x, y, p) => Activation.Unary<SigmoidOperator>(p, x, y), ReferenceActivation.Sigmoid,
        x => x is >= -16f and <= -1f ? 2 : 1);

    public static readonly Unary Relu = new("Relu", (x, y, p) => Activation.Unary<ReluOperator>(p, x, y), ReferenceActivation.Relu, _ => 0);

    public static readonly Unary[] Unaries = [Tanh, Sigmoid, Relu];

    public static readonly Binary[] Binaries =
    [
        new("TanhBackward", (y, dy, dx, p) => Activation.Binary<TanhBackwardOperator>(p, y, dy, dx), ReferenceActivation.TanhBackward, 2),
        new("SigmoidBackward", (y, dy, dx, p) => Activation.Binary<SigmoidBackwardOperator>(p, y, dy, dx), ReferenceActivation.SigmoidBackward, 2),
        new("ReluBackward", (y, dy, dx, p) => Activation.Binary<ReluBackwardOperator>(p, y, dy, dx), ReferenceActivation.ReluBackward, 0),
    ];

    /// <summary>The public entry points, which run on <see cref="Cpu.Path"/>.</summary>
    public static readonly (string Name, UnaryRun Run)[] PublicUnaries =
    [
        ("Tanh", (x, y, _) => Activation.Tanh(x, y)),
        ("Sigmoid", (x, y, _) => Activation.Sigmoid(x, y)),
        ("Relu", (x, y, _) => Activation.Relu(x, y)),
    ];

    public static readonly (string Name, BinaryRun Run)[] PublicBinaries =
    [
        ("TanhBackward", (y, dy, dx, _) => Activation.TanhBackward(y, dy, dx)),
        ("SigmoidBackward", (y, dy, dx, _) => Activation.SigmoidBackward(y, dy, dx)),
        ("ReluBackward", (y, dy, dx, _) => Activation.ReluBackward(y, dy, dx)),
    ];

    /// <summary>The backward inputs are forward outputs: y values in the range of the activation.</summary>
    public static float ForwardOutput(string binaryName, float x) => binaryName switch
    {
        "TanhBackward" => ReferenceActivation.Tanh(x),
        "SigmoidBackward" => ReferenceActivation.Sigmoid(x),
        _ => ReferenceActivation.Relu(x),
    };
}
