using SimdRnn.Activations;
using SimdRnn.Cells;

namespace SimdRnn.Tests.Cells;

/// <summary>
/// Span-level calls of the fused cell passes for the tests: each pins its spans, fills the step operands exactly as
/// the layers do, and runs <see cref="CellPass"/> on the given path, as <paramref name="tiles"/> row tiles one after
/// another (what the members of a team split by batch rows run).
/// </summary>
internal static unsafe class CellSteps
{
    public static void LstmForward(Span<float> gates, ReadOnlySpan<float> bias, ReadOnlySpan<float> cPrev, Span<float> c, Span<float> h,
        int ldh, int rows, int hidden, bool saveGates, SimdPath path, int tiles = 1)
    {
        fixed (float* pGates = gates, pBias = bias, pCPrev = cPrev, pC = c, pH = h)
            Forward<LstmCell>(path, tiles,
                new ForwardStep { Gates = pGates, Ldg = 4 * hidden, Bias = pBias, CPrevious = pCPrev, C = pC, H = pH, Ldh = ldh, Hidden = hidden, Save = saveGates },
                rows);
    }

    public static void LstmBackward(Span<float> gates, ReadOnlySpan<float> c, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> dy, int ldy,
        ReadOnlySpan<float> dhRecurrent, Span<float> dc, int rows, int hidden, SimdPath path, int tiles = 1)
    {
        fixed (float* pGates = gates, pC = c, pCPrev = cPrev, pDy = dy, pDh = dhRecurrent, pDc = dc)
            Backward<LstmCell>(path, tiles,
                new BackwardStep { Gates = pGates, Ldg = 4 * hidden, C = pC, CPrevious = pCPrev, Dy = pDy, Lddy = ldy, DhRecurrent = pDh, Dc = pDc, Hidden = hidden },
                rows);
    }

    public static void GruForward(Span<float> gi, ReadOnlySpan<float> gh, ReadOnlySpan<float> biasInput, ReadOnlySpan<float> biasHidden,
        ReadOnlySpan<float> hPrev, int ldhPrev, Span<float> h, int ldh, Span<float> ghnSaved, int rows, int hidden, bool save, SimdPath path,
        int tiles = 1)
    {
        fixed (float* pGi = gi, pGh = gh, pBi = biasInput, pBh = biasHidden, pHPrev = hPrev, pH = h, pGhn = ghnSaved)
            Forward<GruCell>(path, tiles, new ForwardStep
            {
                Gates = pGi, Ldg = 3 * hidden, RecurrentGates = pGh, LdRecurrentGates = 3 * hidden, Bias = pBi, RecurrentBias = pBh, HPrevious = pHPrev, LdhPrevious = ldhPrev,
                H = pH, Ldh = ldh, Extra = pGhn, Hidden = hidden, Save = save,
            }, rows);
    }

    /// <summary>The GRU backward with dhRecurrent read from one buffer and the direct part of dhPrev written to another
    /// (the layers pass one buffer for both).</summary>
    public static void GruBackward(Span<float> gi, ReadOnlySpan<float> ghnSaved, ReadOnlySpan<float> hPrev, int ldhPrev,
        ReadOnlySpan<float> dy, int ldy, ReadOnlySpan<float> dhRecurrent, Span<float> dGh, Span<float> dhPrev, int rows, int hidden, SimdPath path,
        int tiles = 1)
    {
        dhRecurrent[..(rows * hidden)].CopyTo(dhPrev);
        fixed (float* pGi = gi, pGhn = ghnSaved, pHPrev = hPrev, pDy = dy, pDGh = dGh, pDhPrev = dhPrev)
            Backward<GruCell>(path, tiles, new BackwardStep
            {
                Gates = pGi, Ldg = 3 * hidden, Extra = pGhn, HPrevious = pHPrev, LdhPrevious = ldhPrev, Dy = pDy, Lddy = ldy, RecurrentGradients = pDGh,
                DhRecurrent = pDhPrev, Hidden = hidden,
            }, rows);
    }

    /// <summary>Phase <paramref name="phase"/> of the reset-first GRU's forward (0: r, z and r * hPrev; 1: n and h).</summary>
    public static void GruResetFirstForward(int phase, Span<float> gates, ReadOnlySpan<float> bias, ReadOnlySpan<float> hPrev, int ldhPrev,
        Span<float> resetProduct, int ldResetProduct, Span<float> h, int ldh, int rows, int hidden, bool save, SimdPath path, int tiles = 1)
    {
        fixed (float* pGates = gates, pBias = bias, pHPrev = hPrev, pResetProduct = resetProduct, pH = h)
            Forward<GruResetFirstCell>(path, tiles, new ForwardStep
            {
                Gates = pGates, Ldg = 3 * hidden, Bias = pBias, HPrevious = pHPrev, LdhPrevious = ldhPrev, Extra = pResetProduct,
                LdExtra = ldResetProduct, H = pH, Ldh = ldh, Hidden = hidden, Save = save, Phase = phase,
            }, rows);
    }

    /// <summary>Phase <paramref name="phase"/> of the reset-first GRU's backward (0: dG_z, dG_n and dh z; 1: dG_r and + da r).</summary>
    public static void GruResetFirstBackward(int phase, Span<float> gates, ReadOnlySpan<float> hPrev, int ldhPrev, ReadOnlySpan<float> dy, int ldy,
        Span<float> dhRecurrent, ReadOnlySpan<float> resetProductGradient, int rows, int hidden, SimdPath path, int tiles = 1)
    {
        fixed (float* pGates = gates, pHPrev = hPrev, pDy = dy, pDh = dhRecurrent, pDa = resetProductGradient)
            Backward<GruResetFirstCell>(path, tiles, new BackwardStep
            {
                Gates = pGates, Ldg = 3 * hidden, HPrevious = pHPrev, LdhPrevious = ldhPrev, Dy = pDy, Lddy = ldy, DhRecurrent = pDh,
                ResetProductGradient = pDa, Hidden = hidden, Phase = phase,
            }, rows);
    }

    public static void RnnForward(ReadOnlySpan<float> gates, ReadOnlySpan<float> bias, Span<float> h, int ldh, int rows, int hidden, bool relu,
        SimdPath path, int tiles = 1)
    {
        fixed (float* pGates = gates, pBias = bias, pH = h)
        {
            var step = new ForwardStep { Gates = pGates, Ldg = hidden, Bias = pBias, H = pH, Ldh = ldh, Hidden = hidden };
            if (relu) Forward<RnnCell<ReluOperator>>(path, tiles, step, rows);
            else Forward<RnnCell<TanhOperator>>(path, tiles, step, rows);
        }
    }

    /// <summary>dG = (dy + dhRecurrent) act'(h), written to <paramref name="dGates"/> (the layers write it over the gates).</summary>
    public static void RnnBackward(ReadOnlySpan<float> h, int ldh, ReadOnlySpan<float> dy, int ldy, ReadOnlySpan<float> dhRecurrent,
        Span<float> dGates, int rows, int hidden, bool relu, SimdPath path, int tiles = 1)
    {
        fixed (float* pH = h, pDy = dy, pDh = dhRecurrent, pDGates = dGates)
        {
            var step = new BackwardStep { Gates = pDGates, Ldg = hidden, H = pH, Ldh = ldh, Dy = pDy, Lddy = ldy, DhRecurrent = pDh, Hidden = hidden };
            if (relu) Backward<RnnCell<ReluOperator>>(path, tiles, step, rows);
            else Backward<RnnCell<TanhOperator>>(path, tiles, step, rows);
        }
    }

    private static void Forward<TCell>(SimdPath path, int tiles, in ForwardStep step, int rows) where TCell : struct, ICell
    {
        for (int tile = 0; tile < tiles; tile++)
            CellPass.ForwardTile<TCell>(path, step, tile * rows / tiles, (tile + 1) * rows / tiles, 0, step.Hidden);
    }

    private static void Backward<TCell>(SimdPath path, int tiles, in BackwardStep step, int rows) where TCell : struct, ICell
    {
        for (int tile = 0; tile < tiles; tile++)
            CellPass.BackwardTile<TCell>(path, step, tile * rows / tiles, (tile + 1) * rows / tiles, 0, step.Hidden);
    }
}
