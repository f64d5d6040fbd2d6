using System.Runtime.CompilerServices;
using SimdRnn.Activations;
using SimdRnn.Vectors;

namespace SimdRnn.Cells;

/// <summary>
/// Vanilla RNN over the non-linearity <typeparamref name="TActivation"/>: h = act(gates + bias) forward;
/// dG = (dy + dhRecurrent) act'(h) backward, from the saved h, written over the gates.
/// </summary>
internal readonly struct RnnCell<TActivation> : ICell where TActivation : IActivation
{
    public static int GateCount => 1;

    public static bool HasCellState => false;

    public static bool KeepsRecurrentProductApart => false;

    public static bool SavesExtraState => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Forward<TVec>(in ForwardStep s, int row, nuint j0, nuint j1) where TVec : struct, IVector<TVec>
    {
        ref float gates = ref s.Gates[row * s.Ldg];
        ref float h = ref s.H[row * s.Ldh];
        for (nuint j = j0; j < j1; j += (nuint)TVec.Count)
            TVec.Store(TActivation.Forward(TVec.Load(ref gates, j) + TVec.Load(ref s.Bias[0], j)), ref h, j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Backward<TVec>(in BackwardStep s, int row, nuint j) where TVec : struct, IVector<TVec>
    {
        nint offset = (nint)row * s.Hidden;
        TVec y = TVec.Load(ref s.H[row * s.Ldh], j);
        TVec dh = TVec.Load(ref s.Dy[row * s.Lddy], j) + TVec.Load(ref s.DhRecurrent[offset], j);
        TVec.Store(TActivation.Backward(y, dh), ref s.Gates[row * s.Ldg], j);
    }
}
