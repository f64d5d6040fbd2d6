using System.Runtime.CompilerServices;
using SimdRnn.Activations;

namespace SimdRnn;

/// <summary>
/// Element-wise activations and their backward forms, vectorised on every <see cref="SimdPath"/>.
/// </summary>
/// <remarks>
/// <para>Accuracy contract, on every path: <see cref="Tanh"/> is within 1 ULP of the double-precision result rounded
/// to float for every finite input (denormals included), and so is <see cref="Sigmoid"/> except for inputs in
/// [-16, -1], where it is within 2 ULP; they saturate exactly
/// (tanh to +-1 for |x| &gt; 9.01, sigmoid to 1 above 16.7 and to 0 below -104); tanh is odd (tanh(-0) = -0);
/// NaN in gives NaN out. <see cref="Relu"/> is exact. The backward forms are within 2 ULP of the
/// double-precision value of their formula.</para>
/// <para>Every method requires all spans to have the same length; the destination may be the same span as a
/// source (in place) but must not overlap it at an offset. Nothing outside the destination is written.
/// The methods allocate nothing and are safe to call from many threads at once.</para>
/// </remarks>
public static class Activation
{
    /// <summary>y = tanh(x).</summary>
    /// <exception cref="ArgumentException">The lengths differ, or <paramref name="y"/> overlaps <paramref name="x"/> at an offset.</exception>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => Unary<TanhOperator>(Cpu.Path, x, y);

    /// <summary>y = 1 / (1 + e^-x).</summary>
    /// <exception cref="ArgumentException">The lengths differ, or <paramref name="y"/> overlaps <paramref name="x"/> at an offset.</exception>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y) => Unary<SigmoidOperator>(Cpu.Path, x, y);

    /// <summary>y = max(x, 0); NaN stays NaN and -0 becomes +0.</summary>
    /// <exception cref="ArgumentException">The lengths differ, or <paramref name="y"/> overlaps <paramref name="x"/> at an offset.</exception>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y) => Unary<ReluOperator>(Cpu.Path, x, y);

    /// <summary>dx = dy * (1 - y^2), from the forward output y = tanh(x).</summary>
    /// <exception cref="ArgumentException">The lengths differ, or <paramref name="dx"/> overlaps an input at an offset.</exception>
    public static void TanhBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        Binary<TanhBackwardOperator>(Cpu.Path, y, dy, dx);

    /// <summary>dx = dy * y * (1 - y), from the forward output y = sigmoid(x).</summary>
    /// <exception cref="ArgumentException">The lengths differ, or <paramref name="dx"/> overlaps an input at an offset.</exception>
    public static void SigmoidBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        Binary<SigmoidBackwardOperator>(Cpu.Path, y, dy, dx);

    /// <summary>dx = dy where y &gt; 0 and 0 where y &lt;= 0 (as PyTorch, even where dy is NaN); NaN where y is NaN.</summary>
    /// <exception cref="ArgumentException">The lengths differ, or <paramref name="dx"/> overlaps an input at an offset.</exception>
    public static void ReluBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        Binary<ReluBackwardOperator>(Cpu.Path, y, dy, dx);

    /// <summary>The checks of the unary entry points, then the operator on <paramref name="path"/> (tests run every path through it).</summary>
    internal static void Unary<TOp>(SimdPath path, ReadOnlySpan<float> x, Span<float> y,
        [CallerArgumentExpression(nameof(x))] string xName = "", [CallerArgumentExpression(nameof(y))] string yName = "")
        where TOp : IUnaryOperator
    {
        ThrowHelper.ThrowIfLengthsDiffer(x.Length, y.Length, xName, yName);
        ThrowHelper.ThrowIfPartialOverlap(x, y, xName, yName);
        ElementwiseKernel.Unary<TOp>(path, x, y);
    }

    /// <summary>The checks of the backward entry points, then the operator on <paramref name="path"/>.</summary>
    internal static void Binary<TOp>(SimdPath path, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> result,
        [CallerArgumentExpression(nameof(a))] string aName = "", [CallerArgumentExpression(nameof(b))] string bName = "",
        [CallerArgumentExpression(nameof(result))] string resultName = "")
        where TOp : IBinaryOperator
    {
        ThrowHelper.ThrowIfLengthsDiffer(a.Length, b.Length, aName, bName);
        ThrowHelper.ThrowIfLengthsDiffer(a.Length, result.Length, aName, resultName);
        ThrowHelper.ThrowIfPartialOverlap(a, result, aName, resultName);
        ThrowHelper.ThrowIfPartialOverlap(b, result, bName, resultName);
        ElementwiseKernel.Binary<TOp>(path, a, b, result);
    }
}
