using System.Diagnostics;
using System.Runtime.CompilerServices;
using SimdRnn.Internal;

namespace SimdRnn.Cells;

/// <summary>
/// The fused pointwise part of one vanilla RNN step: h = act(gates + bias) forward; dG = (dy + dhRecurrent) act'(h)
/// backward, from the saved h. <c>gates</c>, <c>dhRecurrent</c> and <c>dGates</c> are rows x H contiguous; <c>h</c>
/// and <c>dy</c> have a row stride.
/// </summary>
internal static unsafe class RnnCell
{
    public static void Forward(ReadOnlySpan<float> gates, ReadOnlySpan<float> bias, Span<float> h, int ldh, int rows,
        int hidden, RnnActivation activation, SimdPath path, int threads = 1)
    {
        Debug.Assert(gates.Length >= rows * hidden && bias.Length >= hidden && ldh >= hidden);
        Debug.Assert(rows == 0 || h.Length >= (rows - 1) * ldh + hidden);
        fixed (float* pGates = gates, pBias = bias, pH = h)
            RowParallel.Run(new ForwardKernel(pGates, pBias, pH, ldh, hidden, activation), rows, hidden, threads, path);
    }

    public static void Backward(ReadOnlySpan<float> h, int ldh, ReadOnlySpan<float> dy, int ldy, ReadOnlySpan<float> dhRecurrent,
        Span<float> dGates, int rows, int hidden, RnnActivation activation, SimdPath path, int threads = 1)
    {
        Debug.Assert(dhRecurrent.Length >= rows * hidden && dGates.Length >= rows * hidden && ldh >= hidden && ldy >= hidden);
        Debug.Assert(rows == 0 || (h.Length >= (rows - 1) * ldh + hidden && dy.Length >= (rows - 1) * ldy + hidden));
        fixed (float* pH = h, pDy = dy, pDh = dhRecurrent, pDGates = dGates)
            RowParallel.Run(new BackwardKernel(pH, ldh, pDy, ldy, pDh, pDGates, hidden, activation), rows, hidden, threads, path);
    }

    private readonly unsafe struct ForwardKernel(float* gates, float* bias, float* h, int ldh,
        int hidden, RnnActivation activation) : IColumnStep
    {
        private readonly float* _gates = gates, _bias = bias;
        private readonly float* _h = h;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TVec>(int row, nuint j) where TVec : struct, IVector<TVec>
        {
            TVec pre = TVec.Load(ref _gates[(nint)row * hidden], j) + TVec.Load(ref _bias[0], j);
            TVec.Store(activation == RnnActivation.Tanh ? VectorMath.Tanh(pre) : VectorMath.Relu(pre), ref _h[(nint)row * ldh], j);
        }
    }

    private readonly unsafe struct BackwardKernel(float* h, int ldh, float* dy, int ldy, float* dhRecurrent,
        float* dGates, int hidden, RnnActivation activation) : IColumnStep
    {
        private readonly float* _h = h, _dy = dy, _dhRecurrent = dhRecurrent;
        private readonly float* _dGates = dGates;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TVec>(int row, nuint j) where TVec : struct, IVector<TVec>
        {
            nint offset = (nint)row * hidden;
            TVec y = TVec.Load(ref _h[(nint)row * ldh], j);
            TVec dh = TVec.Load(ref _dy[(nint)row * ldy], j) + TVec.Load(ref _dhRecurrent[offset], j);
            TVec.Store(activation == RnnActivation.Tanh ? VectorMath.TanhBackward(y, dh) : VectorMath.ReluBackward(y, dh),
                ref _dGates[offset], j);
        }
    }
}
