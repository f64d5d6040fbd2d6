using System.Diagnostics;
using System.Runtime.CompilerServices;
using SimdRnn.Internal;

namespace SimdRnn.Cells;

/// <summary>
/// The fused pointwise part of one LSTM step (PyTorch gate order i, f, g, o), forward and backward, one pass over
/// the gate buffer per step. The GEMMs that produce the gate pre-activations and consume the gate gradients are
/// the layer's; this reads each value once and writes each result once.
/// </summary>
/// <remarks>
/// Layout: <c>gates</c> is rows x 4H, row-major, contiguous; <c>c</c>, <c>cPrev</c>, <c>dc</c> and
/// <c>dhRecurrent</c> are rows x H contiguous; <c>h</c> and <c>dy</c> are rows x H with a row stride (the layer
/// output may interleave two directions). <c>c</c> may be <c>cPrev</c> itself.
/// </remarks>
internal static unsafe class LstmCell
{
    public const int GateCount = 4;

    /// <summary>
    /// pre = gates + bias; i, f, o = sigmoid(pre), g = tanh(pre); c = f * cPrev + i * g; h = o * tanh(c).
    /// With <paramref name="saveGates"/> the activated gates overwrite <paramref name="gates"/> for the backward pass.
    /// </summary>
    public static void Forward(Span<float> gates, ReadOnlySpan<float> bias, ReadOnlySpan<float> cPrev, Span<float> c,
        Span<float> h, int ldh, int rows, int hidden, bool saveGates, SimdPath path, int threads = 1)
    {
        Debug.Assert(gates.Length >= rows * GateCount * hidden && bias.Length >= GateCount * hidden);
        Debug.Assert(cPrev.Length >= rows * hidden && c.Length >= rows * hidden && ldh >= hidden);
        Debug.Assert(rows == 0 || h.Length >= (rows - 1) * ldh + hidden);
        fixed (float* pGates = gates, pBias = bias, pCPrev = cPrev, pC = c, pH = h)
            RowParallel.Run(new ForwardKernel(pGates, pBias, pCPrev, pC, pH, ldh, hidden, saveGates), rows, hidden, threads, path);
    }

    /// <summary>
    /// From the saved activated gates, c and cPrev, and the gradient of h (dy + dhRecurrent) and of c (dc, from the
    /// next step): overwrites <paramref name="gates"/> with the pre-activation gradients dG and <paramref name="dc"/>
    /// with the gradient of cPrev.
    /// </summary>
    public static void Backward(Span<float> gates, ReadOnlySpan<float> c, ReadOnlySpan<float> cPrev,
        ReadOnlySpan<float> dy, int ldy, ReadOnlySpan<float> dhRecurrent, Span<float> dc, int rows, int hidden, SimdPath path, int threads = 1)
    {
        Debug.Assert(gates.Length >= rows * GateCount * hidden && c.Length >= rows * hidden && cPrev.Length >= rows * hidden);
        Debug.Assert(dhRecurrent.Length >= rows * hidden && dc.Length >= rows * hidden && ldy >= hidden);
        Debug.Assert(rows == 0 || dy.Length >= (rows - 1) * ldy + hidden);
        fixed (float* pGates = gates, pC = c, pCPrev = cPrev, pDy = dy, pDh = dhRecurrent, pDc = dc)
            RowParallel.Run(new BackwardKernel(pGates, pC, pCPrev, pDy, ldy, pDh, pDc, hidden), rows, hidden, threads, path);
    }

    private readonly unsafe struct ForwardKernel(float* gates, float* bias, float* cPrev,
        float* c, float* h, int ldh, int hidden, bool saveGates) : IColumnStep
    {
        private readonly float* _gates = gates, _c = c, _h = h;
        private readonly float* _bias = bias, _cPrev = cPrev;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TVec>(int row, nuint j) where TVec : struct, IVector<TVec>
        {
            nuint hiddenN = (nuint)hidden;
            ref float gates = ref _gates[(nint)row * GateCount * hidden];
            ref float bias = ref _bias[0];
            TVec i = VectorMath.Sigmoid(TVec.Load(ref gates, j) + TVec.Load(ref bias, j));
            TVec f = VectorMath.Sigmoid(TVec.Load(ref gates, hiddenN + j) + TVec.Load(ref bias, hiddenN + j));
            TVec g = VectorMath.Tanh(TVec.Load(ref gates, 2 * hiddenN + j) + TVec.Load(ref bias, 2 * hiddenN + j));
            TVec o = VectorMath.Sigmoid(TVec.Load(ref gates, 3 * hiddenN + j) + TVec.Load(ref bias, 3 * hiddenN + j));
            TVec cNew = TVec.MultiplyAdd(f, TVec.Load(ref _cPrev[(nint)row * hidden], j), i * g);
            TVec.Store(cNew, ref _c[(nint)row * hidden], j);
            TVec.Store(o * VectorMath.Tanh(cNew), ref _h[(nint)row * ldh], j);
            if (saveGates)
            {
                TVec.Store(i, ref gates, j);
                TVec.Store(f, ref gates, hiddenN + j);
                TVec.Store(g, ref gates, 2 * hiddenN + j);
                TVec.Store(o, ref gates, 3 * hiddenN + j);
            }
        }
    }

    private readonly unsafe struct BackwardKernel(float* gates, float* c, float* cPrev,
        float* dy, int ldy, float* dhRecurrent, float* dc, int hidden) : IColumnStep
    {
        private readonly float* _gates = gates, _dc = dc;
        private readonly float* _c = c, _cPrev = cPrev, _dy = dy, _dhRecurrent = dhRecurrent;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TVec>(int row, nuint j) where TVec : struct, IVector<TVec>
        {
            nuint hiddenN = (nuint)hidden;
            nint offset = (nint)row * hidden;
            ref float gates = ref _gates[offset * GateCount];
            ref float dc = ref _dc[offset];
            TVec i = TVec.Load(ref gates, j);
            TVec f = TVec.Load(ref gates, hiddenN + j);
            TVec g = TVec.Load(ref gates, 2 * hiddenN + j);
            TVec o = TVec.Load(ref gates, 3 * hiddenN + j);
            TVec dh = TVec.Load(ref _dy[(nint)row * ldy], j) + TVec.Load(ref _dhRecurrent[offset], j);
            TVec tanhC = VectorMath.Tanh(TVec.Load(ref _c[offset], j));
            TVec dcTotal = TVec.Load(ref dc, j) + VectorMath.TanhBackward(tanhC, dh * o);
            TVec.Store(VectorMath.SigmoidBackward(i, dcTotal * g), ref gates, j);
            TVec.Store(VectorMath.SigmoidBackward(f, dcTotal * TVec.Load(ref _cPrev[offset], j)), ref gates, hiddenN + j);
            TVec.Store(VectorMath.TanhBackward(g, dcTotal * i), ref gates, 2 * hiddenN + j);
            TVec.Store(VectorMath.SigmoidBackward(o, dh * tanhC), ref gates, 3 * hiddenN + j);
            TVec.Store(dcTotal * f, ref dc, j);
        }
    }
}
