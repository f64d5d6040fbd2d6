using System.Runtime.CompilerServices;
using static SimdRnn.ThrowHelper;

namespace SimdRnn.Layers;

/// <summary>
/// The aliasing checks of <see cref="RecurrentStack"/>: no output (including the workspace and the gradients) may share
/// memory with an input or with another output. Run after the length checks and before anything is written.
/// </summary>
internal static class RecurrentArguments
{
    public static void ThrowIfForwardOverlaps(ReadOnlySpan<float> x, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> y, ReadOnlySpan<float> hT, ReadOnlySpan<float> cT, ReadOnlySpan<float> workspace)
    {
        // Each output against the inputs, the weights and the outputs before it.
        ThrowIfOverlapsAny(y, nameof(y), x, h0, c0, weights: weights);
        ThrowIfOverlapsAny(hT, nameof(hT), x, h0, c0, y, weights: weights);
        ThrowIfOverlapsAny(cT, nameof(cT), x, h0, c0, y, hT, weights: weights);
        ThrowIfOverlapsAny(workspace, nameof(workspace), x, h0, c0, y, hT, cT, weights);
    }

    public static void ThrowIfBackwardOverlaps(ReadOnlySpan<float> x, ReadOnlySpan<float> h0, ReadOnlySpan<float> y, ReadOnlySpan<float> dy,
        ReadOnlySpan<float> dhT, ReadOnlySpan<float> dcT, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> dx, ReadOnlySpan<float> dh0, ReadOnlySpan<float> dc0, ReadOnlySpan<float> gradients, ReadOnlySpan<float> workspace)
    {
        // Each output against the inputs and the weights, then against the outputs before it.
        ThrowIfOverlapsAny(gradients, nameof(gradients), x, h0, y, dy, dhT, dcT, weights);
        ThrowIfOverlapsAny(dx, nameof(dx), x, h0, y, dy, dhT, dcT, weights);
        ThrowIfOverlapsAny(dx, nameof(dx), gradients);
        ThrowIfOverlapsAny(dh0, nameof(dh0), x, h0, y, dy, dhT, dcT, weights);
        ThrowIfOverlapsAny(dh0, nameof(dh0), gradients, dx);
        ThrowIfOverlapsAny(dc0, nameof(dc0), x, h0, y, dy, dhT, dcT, weights);
        ThrowIfOverlapsAny(dc0, nameof(dc0), gradients, dx, dh0);
        ThrowIfOverlapsAny(workspace, nameof(workspace), x, h0, y, dy, dhT, dcT, weights);
        ThrowIfOverlapsAny(workspace, nameof(workspace), gradients, dx, dh0, dc0);
    }

    /// <summary>Checks one output against up to six other spans and the weights (reported as the parameters argument).</summary>
    private static void ThrowIfOverlapsAny(ReadOnlySpan<float> output, string name, ReadOnlySpan<float> first, ReadOnlySpan<float> second = default,
        ReadOnlySpan<float> third = default, ReadOnlySpan<float> fourth = default, ReadOnlySpan<float> fifth = default, ReadOnlySpan<float> sixth = default,
        ReadOnlySpan<float> weights = default,
        [CallerArgumentExpression(nameof(first))] string firstName = "", [CallerArgumentExpression(nameof(second))] string secondName = "",
        [CallerArgumentExpression(nameof(third))] string thirdName = "", [CallerArgumentExpression(nameof(fourth))] string fourthName = "",
        [CallerArgumentExpression(nameof(fifth))] string fifthName = "", [CallerArgumentExpression(nameof(sixth))] string sixthName = "")
    {
        ThrowIfOverlapping(output, name, first, firstName);
        ThrowIfOverlapping(output, name, second, secondName);
        ThrowIfOverlapping(output, name, third, thirdName);
        ThrowIfOverlapping(output, name, fourth, fourthName);
        ThrowIfOverlapping(output, name, fifth, fifthName);
        ThrowIfOverlapping(output, name, sixth, sixthName);
        ThrowIfOverlapping(output, name, weights, "parameters");
    }
}
