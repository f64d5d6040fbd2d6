using System.Diagnostics;
using System.Runtime.CompilerServices;
using SimdRnn.Internal;

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
internal static unsafe class GruCell
{
    public const int GateCount = 3;

    public static void Forward(Span<float> gi, ReadOnlySpan<float> gh, ReadOnlySpan<float> biasInput, ReadOnlySpan<float> biasHidden,
        ReadOnlySpan<float> hPrev, int ldhPrev, Span<float> h, int ldh, Span<float> ghnSaved, int rows, int hidden, bool save, SimdPath path,
        int threads = 1)
    {
        Debug.Assert(gi.Length >= rows * GateCount * hidden && gh.Length >= rows * GateCount * hidden);
        Debug.Assert(biasInput.Length >= GateCount * hidden && biasHidden.Length >= GateCount * hidden);
        Debug.Assert(rows == 0 || (hPrev.Length >= (rows - 1) * ldhPrev + hidden && h.Length >= (rows - 1) * ldh + hidden));
        Debug.Assert(!save || ghnSaved.Length >= rows * hidden);
        fixed (float* pGi = gi, pGh = gh, pBi = biasInput, pBh = biasHidden, pHPrev = hPrev, pH = h, pGhn = ghnSaved)
            RowParallel.Run(new ForwardKernel(pGi, pGh, pBi, pBh, pHPrev, ldhPrev, pH, ldh, pGhn, hidden, save), rows, hidden, threads, path);
    }

    public static void Backward(Span<float> gi, ReadOnlySpan<float> ghnSaved, ReadOnlySpan<float> hPrev, int ldhPrev,
        ReadOnlySpan<float> dy, int ldy, ReadOnlySpan<float> dhRecurrent, Span<float> dGh, Span<float> dhPrev, int rows, int hidden, SimdPath path,
        int threads = 1)
    {
        Debug.Assert(gi.Length >= rows * GateCount * hidden && dGh.Length >= rows * GateCount * hidden);
        Debug.Assert(ghnSaved.Length >= rows * hidden && dhRecurrent.Length >= rows * hidden && dhPrev.Length >= rows * hidden);
        Debug.Assert(rows == 0 || (hPrev.Length >= (rows - 1) * ldhPrev + hidden && dy.Length >= (rows - 1) * ldy + hidden));
        fixed (float* pGi = gi, pGhn = ghnSaved, pHPrev = hPrev, pDy = dy, pDh = dhRecurrent, pDGh = dGh, pDhPrev = dhPrev)
            RowParallel.Run(new BackwardKernel(pGi, pGhn, pHPrev, ldhPrev, pDy, ldy, pDh, pDGh, pDhPrev, hidden), rows, hidden, threads, path);
    }

    private readonly unsafe struct ForwardKernel(float* gi, float* gh, float* biasInput, float* biasHidden,
        float* hPrev, int ldhPrev, float* h, int ldh, float* ghnSaved, int hidden, bool save)
        : IColumnStep
    {
        private readonly float* _gi = gi, _h = h, _ghnSaved = ghnSaved;
        private readonly float* _gh = gh, _biasInput = biasInput, _biasHidden = biasHidden, _hPrev = hPrev;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TVec>(int row, nuint j) where TVec : struct, IVector<TVec>
        {
            nuint hiddenN = (nuint)hidden;
            ref float gi = ref _gi[(nint)row * GateCount * hidden];
            ref float gh = ref _gh[(nint)row * GateCount * hidden];
            ref float bi = ref _biasInput[0];
            ref float bh = ref _biasHidden[0];
            TVec r = VectorMath.Sigmoid(TVec.Load(ref gi, j) + TVec.Load(ref bi, j) + (TVec.Load(ref gh, j) + TVec.Load(ref bh, j)));
            nuint zj = hiddenN + j, nj = 2 * hiddenN + j;
            TVec z = VectorMath.Sigmoid(TVec.Load(ref gi, zj) + TVec.Load(ref bi, zj) + (TVec.Load(ref gh, zj) + TVec.Load(ref bh, zj)));
            TVec ghn = TVec.Load(ref gh, nj) + TVec.Load(ref bh, nj);
            TVec n = VectorMath.Tanh(TVec.MultiplyAdd(r, ghn, TVec.Load(ref gi, nj) + TVec.Load(ref bi, nj)));
            TVec previous = TVec.Load(ref _hPrev[(nint)row * ldhPrev], j);
            // (1 - z) n + z hPrev = n + z (hPrev - n)
            TVec.Store(TVec.MultiplyAdd(z, previous - n, n), ref _h[(nint)row * ldh], j);
            if (save)
            {
                TVec.Store(r, ref gi, j);
                TVec.Store(z, ref gi, zj);
                TVec.Store(n, ref gi, nj);
                TVec.Store(ghn, ref _ghnSaved[(nint)row * hidden], j);
            }
        }
    }

    private readonly unsafe struct BackwardKernel(float* gi, float* ghnSaved, float* hPrev, int ldhPrev,
        float* dy, int ldy, float* dhRecurrent, float* dGh, float* dhPrev, int hidden)
        : IColumnStep
    {
        private readonly float* _gi = gi, _dGh = dGh, _dhPrev = dhPrev;
        private readonly float* _ghnSaved = ghnSaved, _hPrev = hPrev, _dy = dy, _dhRecurrent = dhRecurrent;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TVec>(int row, nuint j) where TVec : struct, IVector<TVec>
        {
            nuint hiddenN = (nuint)hidden;
            nint offset = (nint)row * hidden;
            ref float gi = ref _gi[offset * GateCount];
            ref float dGh = ref _dGh[offset * GateCount];
            nuint zj = hiddenN + j, nj = 2 * hiddenN + j;
            TVec r = TVec.Load(ref gi, j);
            TVec z = TVec.Load(ref gi, zj);
            TVec n = TVec.Load(ref gi, nj);
            TVec dh = TVec.Load(ref _dy[(nint)row * ldy], j) + TVec.Load(ref _dhRecurrent[offset], j);
            TVec previous = TVec.Load(ref _hPrev[(nint)row * ldhPrev], j);
            TVec dnPre = VectorMath.TanhBackward(n, dh * (TVec.Create(1f) - z));
            TVec drPre = VectorMath.SigmoidBackward(r, dnPre * TVec.Load(ref _ghnSaved[offset], j));
            TVec dzPre = VectorMath.SigmoidBackward(z, dh * (previous - n));
            TVec.Store(drPre, ref gi, j);
            TVec.Store(dzPre, ref gi, zj);
            TVec.Store(dnPre, ref gi, nj);
            TVec.Store(drPre, ref dGh, j);
            TVec.Store(dzPre, ref dGh, zj);
            TVec.Store(dnPre * r, ref dGh, nj);
            TVec.Store(dh * z, ref _dhPrev[offset], j);
        }
    }
}
