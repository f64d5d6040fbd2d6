using System.Runtime.CompilerServices;
using SimdRnn.Activations;
using SimdRnn.Vectors;

namespace SimdRnn.Cells;

/// <summary>
/// GRU in PyTorch's formulation (gates r, z, n; r multiplies h W_hn^T + b_hn, which oneDNN calls linear-before-reset):
/// r = sigmoid(gi_r + b_ir + gh_r + b_hr), z = sigmoid(gi_z + b_iz + gh_z + b_hz),
/// n = tanh(gi_n + b_in + r (gh_n + b_hn)), h = (1 - z) n + z hPrev.
/// Because r multiplies part of the recurrent product, gh (hPrev W_hh^T, no bias) stays apart from gi (x W_ih^T).
/// Training forward overwrites gi with r, z, n and keeps gh_n + b_hn; backward overwrites gi with the input-side
/// gradients [dr, dz, dn], writes the recurrent-side ones [dr, dz, dn r], and replaces dhRecurrent by the direct part
/// of dhPrev, dh z.
/// </summary>
internal readonly struct GruCell : ICell
{
    public static int GateCount => 3;

    public static bool HasCellState => false;

    public static bool KeepsRecurrentProductApart => true;

    public static bool SavesExtraState => true;

    // r and z are activated over the input-side gates (see GateLoops), then one loop makes n and h.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Forward<TVec>(in ForwardStep s, int row, nuint j0, nuint j1) where TVec : struct, IVector<TVec>
    {
        nint hidden = s.Hidden;
        float* gi = s.Gates + row * s.Ldg;
        float* gh = s.RecurrentGates + row * s.LdRecurrentGates;
        GateLoops.Activate<TVec, SigmoidOperator>(gi, s.Bias, gh, s.RecurrentBias, j0, j1);
        GateLoops.Activate<TVec, SigmoidOperator>(gi + hidden, s.Bias + hidden, gh + hidden, s.RecurrentBias + hidden, j0, j1);
        UpdateState<TVec>(in s, row, j0, j1);
    }

    /// <summary>n = tanh(gi_n + b_in + r (gh_n + b_hn)), h = (1 - z) n + z hPrev from the activated r and z.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void UpdateState<TVec>(in ForwardStep s, int row, nuint j0, nuint j1) where TVec : struct, IVector<TVec>
    {
        nuint hidden = (nuint)s.Hidden;
        ref float gi = ref s.Gates[row * s.Ldg];
        ref float gh = ref s.RecurrentGates[row * s.LdRecurrentGates];
        ref float bi = ref s.Bias[0];
        ref float bh = ref s.RecurrentBias[0];
        ref float previous = ref s.HPrevious[row * s.LdhPrevious], h = ref s.H[row * s.Ldh];
        float* extra = s.Extra + (nint)row * s.Hidden;
        for (nuint j = j0; j < j1; j += (nuint)TVec.Count)
        {
            nuint zj = hidden + j, nj = 2 * hidden + j;
            TVec ghn = TVec.Load(ref gh, nj) + TVec.Load(ref bh, nj);
            TVec n = ActivationMath.Tanh(TVec.MultiplyAdd(TVec.Load(ref gi, j), ghn, TVec.Load(ref gi, nj) + TVec.Load(ref bi, nj)));
            // (1 - z) n + z hPrev = n + z (hPrev - n)
            TVec.Store(TVec.MultiplyAdd(TVec.Load(ref gi, zj), TVec.Load(ref previous, j) - n, n), ref h, j);
            if (s.Save)
            {
                TVec.Store(n, ref gi, nj);
                TVec.Store(ghn, ref extra[0], j);
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Backward<TVec>(in BackwardStep s, int row, nuint j) where TVec : struct, IVector<TVec>
    {
        nuint hidden = (nuint)s.Hidden;
        nint offset = (nint)row * s.Hidden;
        ref float gi = ref s.Gates[row * s.Ldg];
        ref float dGh = ref s.RecurrentGradients[row * s.Ldg];
        nuint zj = hidden + j, nj = 2 * hidden + j;
        TVec r = TVec.Load(ref gi, j);
        TVec z = TVec.Load(ref gi, zj);
        TVec n = TVec.Load(ref gi, nj);
        TVec dh = TVec.Load(ref s.Dy[row * s.Lddy], j) + TVec.Load(ref s.DhRecurrent[offset], j);
        TVec previous = TVec.Load(ref s.HPrevious[row * s.LdhPrevious], j);
        TVec dnPre = ActivationMath.TanhBackward(n, dh * (TVec.Create(1f) - z));
        TVec drPre = ActivationMath.SigmoidBackward(r, dnPre * TVec.Load(ref s.Extra[offset], j));
        TVec dzPre = ActivationMath.SigmoidBackward(z, dh * (previous - n));
        TVec.Store(drPre, ref gi, j);
        TVec.Store(dzPre, ref gi, zj);
        TVec.Store(dnPre, ref gi, nj);
        TVec.Store(drPre, ref dGh, j);
        TVec.Store(dzPre, ref dGh, zj);
        TVec.Store(dnPre * r, ref dGh, nj);
        TVec.Store(dh * z, ref s.DhRecurrent[offset], j);
    }
}
