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

    // A root of its own (one call per vector of columns): inlined into the tile loop, its five activations ran out of
    // the JIT's inline budget and were called instead, which made the pass several times slower.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Forward<TVec>(in ForwardStep s, int row, nuint j) where TVec : struct, IVector<TVec>
    {
        nuint hidden = (nuint)s.Hidden;
        nint offset = (nint)row * s.Hidden;
        ref float gates = ref s.Gates[row * s.Ldg];
        ref float bias = ref s.Bias[0];
        TVec i = ActivationMath.Sigmoid(TVec.Load(ref gates, j) + TVec.Load(ref bias, j));
        TVec f = ActivationMath.Sigmoid(TVec.Load(ref gates, hidden + j) + TVec.Load(ref bias, hidden + j));
        TVec g = ActivationMath.Tanh(TVec.Load(ref gates, 2 * hidden + j) + TVec.Load(ref bias, 2 * hidden + j));
        TVec o = ActivationMath.Sigmoid(TVec.Load(ref gates, 3 * hidden + j) + TVec.Load(ref bias, 3 * hidden + j));
        TVec c = TVec.MultiplyAdd(f, TVec.Load(ref s.CPrevious[offset], j), i * g);
        TVec.Store(c, ref s.C[offset], j);
        TVec.Store(o * ActivationMath.Tanh(c), ref s.H[row * s.Ldh], j);
        if (s.Save)
        {
            TVec.Store(i, ref gates, j);
            TVec.Store(f, ref gates, hidden + j);
            TVec.Store(g, ref gates, 2 * hidden + j);
            TVec.Store(o, ref gates, 3 * hidden + j);
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
