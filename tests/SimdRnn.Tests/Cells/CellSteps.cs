using SimdRnn.Activations;
using SimdRnn.Cells;
using SimdRnn.Execution;

namespace SimdRnn.Tests.Cells;

/// <summary>
/// Span-level calls of the fused cell passes for the tests: each pins its spans, fills the step operands exactly as
/// the layers do, and runs <see cref="CellPass"/> on the given path and thread count.
/// </summary>
internal static unsafe class CellSteps
{
    public static void LstmForward(Span<float> gates, ReadOnlySpan<float> bias, ReadOnlySpan<float> cPrev, Span<float> c, Span<float> h,
        int ldh, int rows, int hidden, bool saveGates, SimdPath path, int threads = 1)
    {
        fixed (float* pGates = gates, pBias = bias, pCPrev = cPrev, pC = c, pH = h)
            CellPass.Forward<LstmCell>(new KernelContext(path, threads),
                new ForwardStep { Gates = pGates, Bias = pBias, CPrevious = pCPrev, C = pC, H = pH, Ldh = ldh, Hidden = hidden, Save = saveGates },
                rows);
    }

    public static void LstmBackward(Span<float> gates, ReadOnlySpan<float> c, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> dy, int ldy,
        ReadOnlySpan<float> dhRecurrent, Span<float> dc, int rows, int hidden, SimdPath path, int threads = 1)
    {
        fixed (float* pGates = gates, pC = c, pCPrev = cPrev, pDy = dy, pDh = dhRecurrent, pDc = dc)
            CellPass.Backward<LstmCell>(new KernelContext(path, threads),
                new BackwardStep { Gates = pGates, C = pC, CPrevious = pCPrev, Dy = pDy, Lddy = ldy, DhRecurrent = pDh, Dc = pDc, Hidden = hidden },
                rows);
    }

    public static void GruForward(Span<float> gi, ReadOnlySpan<float> gh, ReadOnlySpan<float> biasInput, ReadOnlySpan<float> biasHidden,
        ReadOnlySpan<float> hPrev, int ldhPrev, Span<float> h, int ldh, Span<float> ghnSaved, int rows, int hidden, bool save, SimdPath path,
        int threads = 1)
    {
        fixed (float* pGi = gi, pGh = gh, pBi = biasInput, pBh = biasHidden, pHPrev = hPrev, pH = h, pGhn = ghnSaved)
            CellPass.Forward<GruCell>(new KernelContext(path, threads), new ForwardStep
            {
                Gates = pGi, RecurrentGates = pGh, Bias = pBi, RecurrentBias = pBh, HPrevious = pHPrev, LdhPrevious = ldhPrev,
                H = pH, Ldh = ldh, Extra = pGhn, Hidden = hidden, Save = save,
            }, rows);
    }

    /// <summary>The GRU backward with dhRecurrent read from one buffer and the direct part of dhPrev written to another
    /// (the layers pass one buffer for both).</summary>
    public static void GruBackward(Span<float> gi, ReadOnlySpan<float> ghnSaved, ReadOnlySpan<float> hPrev, int ldhPrev,
        ReadOnlySpan<float> dy, int ldy, ReadOnlySpan<float> dhRecurrent, Span<float> dGh, Span<float> dhPrev, int rows, int hidden, SimdPath path,
        int threads = 1)
    {
        dhRecurrent[..(rows * hidden)].CopyTo(dhPrev);
        fixed (float* pGi = gi, pGhn = ghnSaved, pHPrev = hPrev, pDy = dy, pDGh = dGh, pDhPrev = dhPrev)
            CellPass.Backward<GruCell>(new KernelContext(path, threads), new BackwardStep
            {
                Gates = pGi, Extra = pGhn, HPrevious = pHPrev, LdhPrevious = ldhPrev, Dy = pDy, Lddy = ldy, RecurrentGradients = pDGh,
                DhRecurrent = pDhPrev, Hidden = hidden,
            }, rows);
    }

    public static void RnnForward(ReadOnlySpan<float> gates, ReadOnlySpan<float> bias, Span<float> h, int ldh, int rows, int hidden, bool relu,
        SimdPath path, int threads = 1)
    {
        fixed (float* pGates = gates, pBias = bias, pH = h)
        {
            var step = new ForwardStep { Gates = pGates, Bias = pBias, H = pH, Ldh = ldh, Hidden = hidden };
            if (relu) CellPass.Forward<RnnCell<ReluOperator>>(new KernelContext(path, threads), step, rows);
            else CellPass.Forward<RnnCell<TanhOperator>>(new KernelContext(path, threads), step, rows);
        }
    }

    /// <summary>dG = (dy + dhRecurrent) act'(h), written to <paramref name="dGates"/> (the layers write it over the gates).</summary>
    public static void RnnBackward(ReadOnlySpan<float> h, int ldh, ReadOnlySpan<float> dy, int ldy, ReadOnlySpan<float> dhRecurrent,
        Span<float> dGates, int rows, int hidden, bool relu, SimdPath path, int threads = 1)
    {
        fixed (float* pH = h, pDy = dy, pDh = dhRecurrent, pDGates = dGates)
        {
            var step = new BackwardStep { Gates = pDGates, H = pH, Ldh = ldh, Dy = pDy, Lddy = ldy, DhRecurrent = pDh, Hidden = hidden };
            if (relu) CellPass.Backward<RnnCell<ReluOperator>>(new KernelContext(path, threads), step, rows);
            else CellPass.Backward<RnnCell<TanhOperator>>(new KernelContext(path, threads), step, rows);
        }
    }
}
