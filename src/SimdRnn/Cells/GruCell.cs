using System.Diagnostics;
using System.Runtime.CompilerServices;
using SimdRnn.Internal;
using static SimdRnn.Internal.RowDriver;

namespace SimdRnn.Cells;

/// <summary>
/// The fused pointwise part of one GRU step in PyTorch's formulation (gates r, z, n; r multiplies h W_hn^T + b_hn,
/// which oneDNN calls linear-before-reset):
/// r = sigmoid(gi_r + b_ir + gh_r + b_hr), z = sigmoid(gi_z + b_iz + gh_z + b_hz),
/// n = tanh(gi_n + b_in + r (gh_n + b_hn)), h = (1 - z) n + z hPrev.
/// </summary>
/// <remarks>
/// <c>gi</c> (x W_ih^T) and <c>gh</c> (hPrev W_hh^T) are rows x 3H contiguous, without biases. Forward in training
/// overwrites <c>gi</c> with r, z, n and writes gh_n + b_hn to <c>ghnSaved</c> (rows x H); backward overwrites
/// <c>gi</c> with the input-side gradients dGi = [dr, dz, dn] and writes the recurrent-side gradients
/// dGh = [dr, dz, dn r] and the direct part of dhPrev (dh z). <c>h</c>, <c>hPrev</c> and <c>dy</c> have row strides.
/// </remarks>
internal static class GruCell
{
    public const int GateCount = 3;

    public static void Forward(Span<float> gi, ReadOnlySpan<float> gh, ReadOnlySpan<float> biasInput, ReadOnlySpan<float> biasHidden,
        ReadOnlySpan<float> hPrev, int ldhPrev, Span<float> h, int ldh, Span<float> ghnSaved, int rows, int hidden, bool save, SimdPath path)
    {
        Debug.Assert(gi.Length >= rows * GateCount * hidden && gh.Length >= rows * GateCount * hidden);
        Debug.Assert(biasInput.Length >= GateCount * hidden && biasHidden.Length >= GateCount * hidden);
        Debug.Assert(rows == 0 || (hPrev.Length >= (rows - 1) * ldhPrev + hidden && h.Length >= (rows - 1) * ldh + hidden));
        Debug.Assert(!save || ghnSaved.Length >= rows * hidden);
        var kernel = new ForwardKernel(gi, gh, biasInput, biasHidden, hPrev, ldhPrev, h, ldh, ghnSaved, rows, hidden, save);
        WidthDispatch.Run(ref kernel, path);
    }

    public static void Backward(Span<float> gi, ReadOnlySpan<float> ghnSaved, ReadOnlySpan<float> hPrev, int ldhPrev,
        ReadOnlySpan<float> dy, int ldy, ReadOnlySpan<float> dhRecurrent, Span<float> dGh, Span<float> dhPrev, int rows, int hidden, SimdPath path)
    {
        Debug.Assert(gi.Length >= rows * GateCount * hidden && dGh.Length >= rows * GateCount * hidden);
        Debug.Assert(ghnSaved.Length >= rows * hidden && dhRecurrent.Length >= rows * hidden && dhPrev.Length >= rows * hidden);
        Debug.Assert(rows == 0 || (hPrev.Length >= (rows - 1) * ldhPrev + hidden && dy.Length >= (rows - 1) * ldy + hidden));
        var kernel = new BackwardKernel(gi, ghnSaved, hPrev, ldhPrev, dy, ldy, dhRecurrent, dGh, dhPrev, rows, hidden);
        WidthDispatch.Run(ref kernel, path);
    }

    private ref struct ForwardKernel(Span<float> gi, ReadOnlySpan<float> gh, ReadOnlySpan<float> biasInput, ReadOnlySpan<float> biasHidden,
        ReadOnlySpan<float> hPrev, int ldhPrev, Span<float> h, int ldh, Span<float> ghnSaved, int rows, int hidden, bool save)
        : IWidthKernel, IColumnStep
    {
        private readonly Span<float> _gi = gi, _h = h, _ghnSaved = ghnSaved;
        private readonly ReadOnlySpan<float> _gh = gh, _biasInput = biasInput, _biasHidden = biasHidden, _hPrev = hPrev;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public void Run<TVec>() where TVec : struct, IVector<TVec> => RowDriver.Run<TVec, ForwardKernel>(ref this, rows, hidden);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Step<TVec>(int row, nuint j) where TVec : struct, IVector<TVec>
        {
            nuint hiddenN = (nuint)hidden;
            ref float gi = ref At(_gi, (nint)row * GateCount * hidden);
            ref float gh = ref At(_gh, (nint)row * GateCount * hidden);
            ref float bi = ref At(_biasInput, 0);
            ref float bh = ref At(_biasHidden, 0);
            TVec r = VectorMath.Sigmoid(TVec.Load(ref gi, j) + TVec.Load(ref bi, j) + (TVec.Load(ref gh, j) + TVec.Load(ref bh, j)));
            nuint zj = hiddenN + j, nj = 2 * hiddenN + j;
            TVec z = VectorMath.Sigmoid(TVec.Load(ref gi, zj) + TVec.Load(ref bi, zj) + (TVec.Load(ref gh, zj) + TVec.Load(ref bh, zj)));
            TVec ghn = TVec.Load(ref gh, nj) + TVec.Load(ref bh, nj);
            TVec n = VectorMath.Tanh(TVec.MultiplyAdd(r, ghn, TVec.Load(ref gi, nj) + TVec.Load(ref bi, nj)));
            TVec previous = TVec.Load(ref At(_hPrev, (nint)row * ldhPrev), j);
            // (1 - z) n + z hPrev = n + z (hPrev - n)
            TVec.Store(TVec.MultiplyAdd(z, previous - n, n), ref At(_h, (nint)row * ldh), j);
            if (save)
            {
                TVec.Store(r, ref gi, j);
                TVec.Store(z, ref gi, zj);
                TVec.Store(n, ref gi, nj);
                TVec.Store(ghn, ref At(_ghnSaved, (nint)row * hidden), j);
            }
        }
    }

    private ref struct BackwardKernel(Span<float> gi, ReadOnlySpan<float> ghnSaved, ReadOnlySpan<float> hPrev, int ldhPrev,
        ReadOnlySpan<float> dy, int ldy, ReadOnlySpan<float> dhRecurrent, Span<float> dGh, Span<float> dhPrev, int rows, int hidden)
        : IWidthKernel, IColumnStep
    {
        private readonly Span<float> _gi = gi, _dGh = dGh, _dhPrev = dhPrev;
        private readonly ReadOnlySpan<float> _ghnSaved = ghnSaved, _hPrev = hPrev, _dy = dy, _dhRecurrent = dhRecurrent;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public void Run<TVec>() where TVec : struct, IVector<TVec> => RowDriver.Run<TVec, BackwardKernel>(ref this, rows, hidden);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Step<TVec>(int row, nuint j) where TVec : struct, IVector<TVec>
        {
            nuint hiddenN = (nuint)hidden;
            nint offset = (nint)row * hidden;
            ref float gi = ref At(_gi, offset * GateCount);
            ref float dGh = ref At(_dGh, offset * GateCount);
            nuint zj = hiddenN + j, nj = 2 * hiddenN + j;
            TVec r = TVec.Load(ref gi, j);
            TVec z = TVec.Load(ref gi, zj);
            TVec n = TVec.Load(ref gi, nj);
            TVec dh = TVec.Load(ref At(_dy, (nint)row * ldy), j) + TVec.Load(ref At(_dhRecurrent, offset), j);
            TVec previous = TVec.Load(ref At(_hPrev, (nint)row * ldhPrev), j);
            TVec dnPre = VectorMath.TanhBackward(n, dh * (TVec.Create(1f) - z));
            TVec drPre = VectorMath.SigmoidBackward(r, dnPre * TVec.Load(ref At(_ghnSaved, offset), j));
            TVec dzPre = VectorMath.SigmoidBackward(z, dh * (previous - n));
            TVec.Store(drPre, ref gi, j);
            TVec.Store(dzPre, ref gi, zj);
            TVec.Store(dnPre, ref gi, nj);
            TVec.Store(drPre, ref dGh, j);
            TVec.Store(dzPre, ref dGh, zj);
            TVec.Store(dnPre * r, ref dGh, nj);
            TVec.Store(dh * z, ref At(_dhPrev, offset), j);
        }
    }
}
