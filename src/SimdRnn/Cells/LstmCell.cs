using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
/// output may interleave two directions). Columns beyond the last full vector of a row are done one lane at a
/// time with the same approximations, so nothing is read or written twice and in-place use is exact.
/// </remarks>
internal static class LstmCell
{
    public const int GateCount = 4;

    /// <summary>
    /// pre = gates + bias; i, f, o = sigmoid(pre), g = tanh(pre); c = f * cPrev + i * g; h = o * tanh(c).
    /// With <paramref name="saveGates"/> the activated gates overwrite <paramref name="gates"/> for the backward pass.
    /// </summary>
    public static void Forward(Span<float> gates, ReadOnlySpan<float> bias, ReadOnlySpan<float> cPrev, Span<float> c,
        Span<float> h, int ldh, int rows, int hidden, bool saveGates, SimdPath path)
    {
        Debug.Assert(gates.Length >= rows * GateCount * hidden && bias.Length >= GateCount * hidden);
        Debug.Assert(cPrev.Length >= rows * hidden && c.Length >= rows * hidden && ldh >= hidden);
        Debug.Assert(rows == 0 || h.Length >= (rows - 1) * ldh + hidden);
        var kernel = new ForwardKernel(gates, bias, cPrev, c, h, ldh, rows, hidden, saveGates);
        WidthDispatch.Run(ref kernel, path);
    }

    /// <summary>
    /// From the saved activated gates, c and cPrev, and the gradient of h (dy + dhRecurrent) and of c (dc, from the
    /// next step): overwrites <paramref name="gates"/> with the pre-activation gradients dG and <paramref name="dc"/>
    /// with the gradient of cPrev.
    /// </summary>
    public static void Backward(Span<float> gates, ReadOnlySpan<float> c, ReadOnlySpan<float> cPrev,
        ReadOnlySpan<float> dy, int ldy, ReadOnlySpan<float> dhRecurrent, Span<float> dc, int rows, int hidden, SimdPath path)
    {
        Debug.Assert(gates.Length >= rows * GateCount * hidden && c.Length >= rows * hidden && cPrev.Length >= rows * hidden);
        Debug.Assert(dhRecurrent.Length >= rows * hidden && dc.Length >= rows * hidden && ldy >= hidden);
        Debug.Assert(rows == 0 || dy.Length >= (rows - 1) * ldy + hidden);
        var kernel = new BackwardKernel(gates, c, cPrev, dy, ldy, dhRecurrent, dc, rows, hidden);
        WidthDispatch.Run(ref kernel, path);
    }

    private readonly ref struct ForwardKernel(Span<float> gates, ReadOnlySpan<float> bias, ReadOnlySpan<float> cPrev,
        Span<float> c, Span<float> h, int ldh, int rows, int hidden, bool saveGates) : IWidthKernel
    {
        private readonly Span<float> _gates = gates;
        private readonly ReadOnlySpan<float> _bias = bias;
        private readonly ReadOnlySpan<float> _cPrev = cPrev;
        private readonly Span<float> _c = c;
        private readonly Span<float> _h = h;

        public void Run<TVec>() where TVec : struct, IVector<TVec>
        {
            nuint hiddenN = (nuint)hidden;
            nuint vectorEnd = hiddenN - hiddenN % (nuint)TVec.Count;
            ref float bias = ref MemoryMarshal.GetReference(_bias);
            for (int row = 0; row < rows; row++)
            {
                ref float gates = ref Unsafe.Add(ref MemoryMarshal.GetReference(_gates), (nint)row * GateCount * hidden);
                ref float cPrev = ref Unsafe.Add(ref MemoryMarshal.GetReference(_cPrev), (nint)row * hidden);
                ref float c = ref Unsafe.Add(ref MemoryMarshal.GetReference(_c), (nint)row * hidden);
                ref float h = ref Unsafe.Add(ref MemoryMarshal.GetReference(_h), (nint)row * ldh);
                nuint j = 0;
                for (; j < vectorEnd; j += (nuint)TVec.Count)
                    Columns<TVec>(ref gates, ref bias, ref cPrev, ref c, ref h, hiddenN, j, saveGates);
                for (; j < hiddenN; j++)
                    Columns<Vec1>(ref gates, ref bias, ref cPrev, ref c, ref h, hiddenN, j, saveGates);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Columns<TVec>(ref float gates, ref float bias, ref float cPrev, ref float c, ref float h,
            nuint hidden, nuint j, bool saveGates) where TVec : struct, IVector<TVec>
        {
            TVec i = VectorMath.Sigmoid(TVec.Load(ref gates, j) + TVec.Load(ref bias, j));
            TVec f = VectorMath.Sigmoid(TVec.Load(ref gates, hidden + j) + TVec.Load(ref bias, hidden + j));
            TVec g = VectorMath.Tanh(TVec.Load(ref gates, 2 * hidden + j) + TVec.Load(ref bias, 2 * hidden + j));
            TVec o = VectorMath.Sigmoid(TVec.Load(ref gates, 3 * hidden + j) + TVec.Load(ref bias, 3 * hidden + j));
            TVec cNew = TVec.MultiplyAdd(f, TVec.Load(ref cPrev, j), i * g);
            TVec.Store(cNew, ref c, j);
            TVec.Store(o * VectorMath.Tanh(cNew), ref h, j);
            if (saveGates)
            {
                TVec.Store(i, ref gates, j);
                TVec.Store(f, ref gates, hidden + j);
                TVec.Store(g, ref gates, 2 * hidden + j);
                TVec.Store(o, ref gates, 3 * hidden + j);
            }
        }
    }

    private readonly ref struct BackwardKernel(Span<float> gates, ReadOnlySpan<float> c, ReadOnlySpan<float> cPrev,
        ReadOnlySpan<float> dy, int ldy, ReadOnlySpan<float> dhRecurrent, Span<float> dc, int rows, int hidden) : IWidthKernel
    {
        private readonly Span<float> _gates = gates;
        private readonly ReadOnlySpan<float> _c = c;
        private readonly ReadOnlySpan<float> _cPrev = cPrev;
        private readonly ReadOnlySpan<float> _dy = dy;
        private readonly ReadOnlySpan<float> _dhRecurrent = dhRecurrent;
        private readonly Span<float> _dc = dc;

        public void Run<TVec>() where TVec : struct, IVector<TVec>
        {
            nuint hiddenN = (nuint)hidden;
            nuint vectorEnd = hiddenN - hiddenN % (nuint)TVec.Count;
            for (int row = 0; row < rows; row++)
            {
                nint offset = (nint)row * hidden;
                ref float gates = ref Unsafe.Add(ref MemoryMarshal.GetReference(_gates), offset * GateCount);
                ref float c = ref Unsafe.Add(ref MemoryMarshal.GetReference(_c), offset);
                ref float cPrev = ref Unsafe.Add(ref MemoryMarshal.GetReference(_cPrev), offset);
                ref float dy = ref Unsafe.Add(ref MemoryMarshal.GetReference(_dy), (nint)row * ldy);
                ref float dhRecurrent = ref Unsafe.Add(ref MemoryMarshal.GetReference(_dhRecurrent), offset);
                ref float dc = ref Unsafe.Add(ref MemoryMarshal.GetReference(_dc), offset);
                nuint j = 0;
                for (; j < vectorEnd; j += (nuint)TVec.Count)
                    Columns<TVec>(ref gates, ref c, ref cPrev, ref dy, ref dhRecurrent, ref dc, hiddenN, j);
                for (; j < hiddenN; j++)
                    Columns<Vec1>(ref gates, ref c, ref cPrev, ref dy, ref dhRecurrent, ref dc, hiddenN, j);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Columns<TVec>(ref float gates, ref float c, ref float cPrev, ref float dy, ref float dhRecurrent,
            ref float dc, nuint hidden, nuint j) where TVec : struct, IVector<TVec>
        {
            TVec i = TVec.Load(ref gates, j);
            TVec f = TVec.Load(ref gates, hidden + j);
            TVec g = TVec.Load(ref gates, 2 * hidden + j);
            TVec o = TVec.Load(ref gates, 3 * hidden + j);
            TVec dh = TVec.Load(ref dy, j) + TVec.Load(ref dhRecurrent, j);
            TVec tanhC = VectorMath.Tanh(TVec.Load(ref c, j));
            TVec dcTotal = TVec.Load(ref dc, j) + VectorMath.TanhBackward(tanhC, dh * o);
            TVec.Store(VectorMath.SigmoidBackward(i, dcTotal * g), ref gates, j);
            TVec.Store(VectorMath.SigmoidBackward(f, dcTotal * TVec.Load(ref cPrev, j)), ref gates, hidden + j);
            TVec.Store(VectorMath.TanhBackward(g, dcTotal * i), ref gates, 2 * hidden + j);
            TVec.Store(VectorMath.SigmoidBackward(o, dh * tanhC), ref gates, 3 * hidden + j);
            TVec.Store(dcTotal * f, ref dc, j);
        }
    }
}
