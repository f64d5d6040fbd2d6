using System.Runtime.CompilerServices;
using static SimdRnn.Internal.ThrowHelper;

namespace SimdRnn.Internal;

/// <summary>
/// The aliasing checks of <see cref="RecurrentStack"/>: no output (including the workspace and the gradients) may share
/// memory with an input or with another output. Run after the length checks and before anything is written.
/// </summary>
internal static class RecurrentArguments
{
    public static void ThrowIfForwardOverlaps(ReadOnlySpan<float> x, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> y, ReadOnlySpan<float> hT, ReadOnlySpan<float> cT, ReadOnlySpan<float> workspace)
    {
        ThrowIfOverlapsInputs(y, nameof(y), x, h0, c0, weights: weights);
        ThrowIfOverlapsInputs(hT, nameof(hT), x, h0, c0, weights: weights);
        ThrowIfOverlapsInputs(cT, nameof(cT), x, h0, c0, weights: weights);
        ThrowIfOverlapsInputs(workspace, nameof(workspace), x, h0, c0, weights: weights);
        ThrowIfOverlapping(hT, nameof(hT), y, nameof(y));
        ThrowIfOverlapping(cT, nameof(cT), y, nameof(y));
        ThrowIfOverlapping(cT, nameof(cT), hT, nameof(hT));
        ThrowIfOverlapping(workspace, nameof(workspace), y, nameof(y));
        ThrowIfOverlapping(workspace, nameof(workspace), hT, nameof(hT));
        ThrowIfOverlapping(workspace, nameof(workspace), cT, nameof(cT));
    }

    public static void ThrowIfBackwardOverlaps(ReadOnlySpan<float> x, ReadOnlySpan<float> h0, ReadOnlySpan<float> y, ReadOnlySpan<float> dy,
        ReadOnlySpan<float> dhT, ReadOnlySpan<float> dcT, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> dx, ReadOnlySpan<float> dh0, ReadOnlySpan<float> dc0, ReadOnlySpan<float> gradients, ReadOnlySpan<float> workspace)
    {
        ThrowIfOverlapsInputs(gradients, nameof(gradients), x, h0, y, dy, dhT, dcT, weights);
        ThrowIfOverlapsInputs(dx, nameof(dx), x, h0, y, dy, dhT, dcT, weights);
        ThrowIfOverlapsInputs(dh0, nameof(dh0), x, h0, y, dy, dhT, dcT, weights);
        ThrowIfOverlapsInputs(dc0, nameof(dc0), x, h0, y, dy, dhT, dcT, weights);
        ThrowIfOverlapsInputs(workspace, nameof(workspace), x, h0, y, dy, dhT, dcT, weights);
        ThrowIfOverlapping(dx, nameof(dx), gradients, nameof(gradients));
        ThrowIfOverlapping(dh0, nameof(dh0), gradients, nameof(gradients));
        ThrowIfOverlapping(dh0, nameof(dh0), dx, nameof(dx));
        ThrowIfOverlapping(dc0, nameof(dc0), gradients, nameof(gradients));
        ThrowIfOverlapping(dc0, nameof(dc0), dx, nameof(dx));
        ThrowIfOverlapping(dc0, nameof(dc0), dh0, nameof(dh0));
        ThrowIfOverlapping(workspace, nameof(workspace), gradients, nameof(gradients));
        ThrowIfOverlapping(workspace, nameof(workspace), dx, nameof(dx));
        ThrowIfOverlapping(workspace, nameof(workspace), dh0, nameof(dh0));
        ThrowIfOverlapping(workspace, nameof(workspace), dc0, nameof(dc0));
    }

    /// <summary>Checks one output against up to six inputs and the weights (reported as the parameters argument).</summary>
    private static void ThrowIfOverlapsInputs(ReadOnlySpan<float> output, string name, ReadOnlySpan<float> first, ReadOnlySpan<float> second,
        ReadOnlySpan<float> third, ReadOnlySpan<float> fourth = default, ReadOnlySpan<float> fifth = default, ReadOnlySpan<float> sixth = default,
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
