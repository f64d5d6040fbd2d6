using System.Diagnostics;
using System.Runtime.CompilerServices;
using SimdRnn.Internal;
using static SimdRnn.Internal.RowDriver;

namespace SimdRnn.Cells;

/// <summary>
/// The fused pointwise part of one vanilla RNN step: h = act(gates + bias) forward; dG = (dy + dhRecurrent) act'(h)
/// backward, from the saved h. <c>gates</c>, <c>dhRecurrent</c> and <c>dGates</c> are rows x H contiguous; <c>h</c>
/// and <c>dy</c> have a row stride.
/// </summary>
internal static class RnnCell
{
    public static void Forward(ReadOnlySpan<float> gates, ReadOnlySpan<float> bias, Span<float> h, int ldh, int rows,
        int hidden, RnnActivation activation, SimdPath path)
    {
        Debug.Assert(gates.Length >= rows * hidden && bias.Length >= hidden && ldh >= hidden);
        Debug.Assert(rows == 0 || h.Length >= (rows - 1) * ldh + hidden);
        var kernel = new ForwardKernel(gates, bias, h, ldh, rows, hidden, activation);
        WidthDispatch.Run(ref kernel, path);
    }

    public static void Backward(ReadOnlySpan<float> h, int ldh, ReadOnlySpan<float> dy, int ldy, ReadOnlySpan<float> dhRecurrent,
        Span<float> dGates, int rows, int hidden, RnnActivation activation, SimdPath path)
    {
        Debug.Assert(dhRecurrent.Length >= rows * hidden && dGates.Length >= rows * hidden && ldh >= hidden && ldy >= hidden);
        Debug.Assert(rows == 0 || (h.Length >= (rows - 1) * ldh + hidden && dy.Length >= (rows - 1) * ldy + hidden));
        var kernel = new BackwardKernel(h, ldh, dy, ldy, dhRecurrent, dGates, rows, hidden, activation);
        WidthDispatch.Run(ref kernel, path);
    }

    private ref struct ForwardKernel(ReadOnlySpan<float> gates, ReadOnlySpan<float> bias, Span<float> h, int ldh, int rows,
        int hidden, RnnActivation activation) : IWidthKernel, IColumnStep
    {
        private readonly ReadOnlySpan<float> _gates = gates, _bias = bias;
        private readonly Span<float> _h = h;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public void Run<TVec>() where TVec : struct, IVector<TVec> => RowDriver.Run<TVec, ForwardKernel>(ref this, rows, hidden);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Step<TVec>(int row, nuint j) where TVec : struct, IVector<TVec>
        {
            TVec pre = TVec.Load(ref At(_gates, (nint)row * hidden), j) + TVec.Load(ref At(_bias, 0), j);
            TVec.Store(activation == RnnActivation.Tanh ? VectorMath.Tanh(pre) : VectorMath.Relu(pre), ref At(_h, (nint)row * ldh), j);
        }
    }

    private ref struct BackwardKernel(ReadOnlySpan<float> h, int ldh, ReadOnlySpan<float> dy, int ldy, ReadOnlySpan<float> dhRecurrent,
        Span<float> dGates, int rows, int hidden, RnnActivation activation) : IWidthKernel, IColumnStep
    {
        private readonly ReadOnlySpan<float> _h = h, _dy = dy, _dhRecurrent = dhRecurrent;
        private readonly Span<float> _dGates = dGates;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public void Run<TVec>() where TVec : struct, IVector<TVec> => RowDriver.Run<TVec, BackwardKernel>(ref this, rows, hidden);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Step<TVec>(int row, nuint j) where TVec : struct, IVector<TVec>
        {
            nint offset = (nint)row * hidden;
            TVec y = TVec.Load(ref At(_h, (nint)row * ldh), j);
            TVec dh = TVec.Load(ref At(_dy, (nint)row * ldy), j) + TVec.Load(ref At(_dhRecurrent, offset), j);
            TVec.Store(activation == RnnActivation.Tanh ? VectorMath.TanhBackward(y, dh) : VectorMath.ReluBackward(y, dh),
                ref At(_dGates, offset), j);
        }
    }
}
