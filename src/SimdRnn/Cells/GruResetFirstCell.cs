using System.Runtime.CompilerServices;
using SimdRnn.Activations;
using SimdRnn.Vectors;

namespace SimdRnn.Cells;

/// <summary>
/// GRU with the reset gate applied before the recurrent product (ONNX's default <c>linear_before_reset = 0</c>, Keras'
/// <c>reset_after=False</c>), gates r, z, n in PyTorch's order and layout:
/// r = sigmoid(gi_r + h W_hr^T + b_r), z = sigmoid(gi_z + h W_hz^T + b_z), n = tanh(gi_n + (r * h) W_hn^T + b_n),
/// h' = (1 - z) n + z h, with b = b_ih + b_hh (every recurrent term is added onto the gates, so one combined bias serves).
/// A step runs in two phases (<see cref="ForwardStep.Phase"/>) around the product (r * h) W_hn^T:
/// phase 0 activates r and z (over the gates) and writes r * h to Extra; phase 1 activates n and writes h'.
/// Backward phase 0 writes dG_z, dG_n over z and n and the direct part dh z of dh_{t-1}; between the phases the
/// loop computes da = dG_n W_hn (dL/d(r * h)); phase 1 writes dG_r over r and adds da r to dh_{t-1}.
/// </summary>
internal readonly struct GruResetFirstCell : ICell
{
    public static int GateCount => 3;

    public static bool HasCellState => false;

    public static bool KeepsRecurrentProductApart => false;

    public static bool SavesExtraState => true;

    public static bool ResetsBeforeRecurrentProduct => true;

    // Phase 0 activates r and z over the gates (see GateLoops; phase 1 needs z, and backward r and z, so they are
    // written even in inference: a step's own rows), then writes r * hPrev; phase 1 is one loop making n and h.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Forward<TVec>(in ForwardStep s, int row, nuint j0, nuint j1) where TVec : struct, IVector<TVec>
    {
        if (s.Phase == 0)
        {
            float* gates = s.Gates + row * s.Ldg;
            GateLoops.Activate<TVec, SigmoidOperator>(gates, s.Bias, j0, j1);
            GateLoops.Activate<TVec, SigmoidOperator>(gates + s.Hidden, s.Bias + s.Hidden, j0, j1);
            ResetPrevious<TVec>(in s, row, j0, j1);
        }
        else
        {
            UpdateState<TVec>(in s, row, j0, j1);
        }
    }

    /// <summary>Extra = r * hPrev, the operand of the last gate's recurrent product.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ResetPrevious<TVec>(in ForwardStep s, int row, nuint j0, nuint j1) where TVec : struct, IVector<TVec>
    {
        ref float r = ref s.Gates[row * s.Ldg];
        ref float previous = ref s.HPrevious[row * s.LdhPrevious], extra = ref s.Extra[row * s.LdExtra];
        for (nuint j = j0; j < j1; j += (nuint)TVec.Count)
            TVec.Store(TVec.Load(ref r, j) * TVec.Load(ref previous, j), ref extra, j);
    }

    /// <summary>n = tanh(gates_n + b_n), h = (1 - z) n + z hPrev.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void UpdateState<TVec>(in ForwardStep s, int row, nuint j0, nuint j1) where TVec : struct, IVector<TVec>
    {
        nuint hidden = (nuint)s.Hidden;
        ref float gates = ref s.Gates[row * s.Ldg];
        ref float bias = ref s.Bias[0];
        ref float previous = ref s.HPrevious[row * s.LdhPrevious], h = ref s.H[row * s.Ldh];
        for (nuint j = j0; j < j1; j += (nuint)TVec.Count)
        {
            nuint zj = hidden + j, nj = 2 * hidden + j;
            TVec n = ActivationMath.Tanh(TVec.Load(ref gates, nj) + TVec.Load(ref bias, nj));
            // (1 - z) n + z hPrev = n + z (hPrev - n)
            TVec.Store(TVec.MultiplyAdd(TVec.Load(ref gates, zj), TVec.Load(ref previous, j) - n, n), ref h, j);
            if (s.Save) TVec.Store(n, ref gates, nj);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Backward<TVec>(in BackwardStep s, int row, nuint j) where TVec : struct, IVector<TVec>
    {
        nuint hidden = (nuint)s.Hidden;
        nint offset = (nint)row * s.Hidden;
        ref float gates = ref s.Gates[row * s.Ldg];
        nuint zj = hidden + j, nj = 2 * hidden + j;
        TVec previous = TVec.Load(ref s.HPrevious[row * s.LdhPrevious], j);
        if (s.Phase == 0)
        {
            TVec z = TVec.Load(ref gates, zj);
            TVec n = TVec.Load(ref gates, nj);
            TVec dh = TVec.Load(ref s.Dy[row * s.Lddy], j) + TVec.Load(ref s.DhRecurrent[offset], j);
            TVec.Store(ActivationMath.SigmoidBackward(z, dh * (previous - n)), ref gates, zj);
            TVec.Store(ActivationMath.TanhBackward(n, dh * (TVec.Create(1f) - z)), ref gates, nj);
            TVec.Store(dh * z, ref s.DhRecurrent[offset], j);
        }
        else
        {
            TVec r = TVec.Load(ref gates, j);
            TVec da = TVec.Load(ref s.ResetProductGradient[offset], j);
            TVec.Store(ActivationMath.SigmoidBackward(r, da * previous), ref gates, j);
            TVec.Store(TVec.MultiplyAdd(da, r, TVec.Load(ref s.DhRecurrent[offset], j)), ref s.DhRecurrent[offset], j);
        }
    }
}
