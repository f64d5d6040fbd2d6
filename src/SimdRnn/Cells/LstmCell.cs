using System.Runtime.CompilerServices;
using SimdRnn.Activations;
using SimdRnn.Vectors;

namespace SimdRnn.Cells;

/// <summary>
/// LSTM, PyTorch gate order i, f, g, o: pre = gates + bias; i, f, o = sigmoid(pre), g = tanh(pre);
/// c = f * cPrev + i * g; h = o * tanh(c). The recurrent product is added onto the input projection.
/// Backward (from the saved activated gates, c and cPrev, and dh = dy + dhRecurrent, dc from the next step):
/// dG overwrites the gates and dc becomes the gradient of cPrev.
/// </summary>
internal readonly struct LstmCell : ICell
{
    public static int GateCount => 4;

    public static bool HasCellState => true;

    public static bool KeepsRecurrentProductApart => false;

    public static bool SavesExtraState => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Forward<TVec>(in ForwardStep s, int row, nuint j0, nuint j1) where TVec : struct, IVector<TVec>
    {
        nint hidden = s.Hidden;
        float* gates = s.Gates + row * s.Ldg;
        GateLoops.Activate<TVec, SigmoidOperator>(gates, s.Bias, j0, j1);
        GateLoops.Activate<TVec, SigmoidOperator>(gates + hidden, s.Bias + hidden, j0, j1);
        GateLoops.Activate<TVec, TanhOperator>(gates + 2 * hidden, s.Bias + 2 * hidden, j0, j1);
        GateLoops.Activate<TVec, SigmoidOperator>(gates + 3 * hidden, s.Bias + 3 * hidden, j0, j1);
        UpdateState<TVec>(in s, row, j0, j1);
    }

    /// <summary>c = f * cPrev + i * g, h = o * tanh(c) from the activated gates.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void UpdateState<TVec>(in ForwardStep s, int row, nuint j0, nuint j1) where TVec : struct, IVector<TVec>
    {
        nuint hidden = (nuint)s.Hidden;
        nint offset = (nint)row * s.Hidden;
        ref float gates = ref s.Gates[row * s.Ldg];
        ref float cPrevious = ref s.CPrevious[offset], c = ref s.C[offset], h = ref s.H[row * s.Ldh];
        for (nuint j = j0; j < j1; j += (nuint)TVec.Count)
        {
            TVec i = TVec.Load(ref gates, j), f = TVec.Load(ref gates, hidden + j);
            TVec g = TVec.Load(ref gates, 2 * hidden + j), o = TVec.Load(ref gates, 3 * hidden + j);
            TVec cNew = TVec.MultiplyAdd(f, TVec.Load(ref cPrevious, j), i * g);
            TVec.Store(cNew, ref c, j);
            TVec.Store(o * ActivationMath.Tanh(cNew), ref h, j);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Backward<TVec>(in BackwardStep s, int row, nuint j) where TVec : struct, IVector<TVec>
    {
        nuint hidden = (nuint)s.Hidden;
        nint offset = (nint)row * s.Hidden;
        ref float gates = ref s.Gates[row * s.Ldg];
        ref float dc = ref s.Dc[offset];
        TVec i = TVec.Load(ref gates, j);
        TVec f = TVec.Load(ref gates, hidden + j);
        TVec g = TVec.Load(ref gates, 2 * hidden + j);
        TVec o = TVec.Load(ref gates, 3 * hidden + j);
        TVec dh = TVec.Load(ref s.Dy[row * s.Lddy], j) + TVec.Load(ref s.DhRecurrent[offset], j);
        TVec tanhC = ActivationMath.Tanh(TVec.Load(ref s.C[offset], j));
        TVec dcTotal = TVec.Load(ref dc, j) + ActivationMath.TanhBackward(tanhC, dh * o);
        TVec.Store(ActivationMath.SigmoidBackward(i, dcTotal * g), ref gates, j);
        TVec.Store(ActivationMath.SigmoidBackward(f, dcTotal * TVec.Load(ref s.CPrevious[offset], j)), ref gates, hidden + j);
        TVec.Store(ActivationMath.TanhBackward(g, dcTotal * i), ref gates, 2 * hidden + j);
        TVec.Store(ActivationMath.SigmoidBackward(o, dh * tanhC), ref gates, 3 * hidden + j);
        TVec.Store(dcTotal * f, ref dc, j);
    }
}
