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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Forward<TVec>(in ForwardStep s, int row, nuint j0, nuint j1) where TVec : struct, IVector<TVec>
    {
        for (nuint j = j0; j < j1; j += (nuint)TVec.Count) ForwardVector<TVec>(in s, row, j);
    }

    // A root of its own (one call per vector of columns): inlined into the tile loop, its five activations ran out of
    // the JIT's inline budget and were called instead, which made the pass several times slower.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ForwardVector<TVec>(in ForwardStep s, int row, nuint j) where TVec : struct, IVector<TVec>
    {
        nuint hidden = (nuint)s.Hidden;
        nint offset = (nint)row * s.Hidden;
        ref float gi = ref s.Gates[row * s.Ldg];
        ref float gh = ref s.RecurrentGates[row * s.LdRecurrentGates];
        ref float bi = ref s.Bias[0];
        ref float bh = ref s.RecurrentBias[0];
        nuint zj = hidden + j, nj = 2 * hidden + j;
        TVec r = ActivationMath.Sigmoid(TVec.Load(ref gi, j) + TVec.Load(ref bi, j) + (TVec.Load(ref gh, j) + TVec.Load(ref bh, j)));
        TVec z = ActivationMath.Sigmoid(TVec.Load(ref gi, zj) + TVec.Load(ref bi, zj) + (TVec.Load(ref gh, zj) + TVec.Load(ref bh, zj)));
        TVec ghn = TVec.Load(ref gh, nj) + TVec.Load(ref bh, nj);
        TVec n = ActivationMath.Tanh(TVec.MultiplyAdd(r, ghn, TVec.Load(ref gi, nj) + TVec.Load(ref bi, nj)));
        TVec previous = TVec.Load(ref s.HPrevious[row * s.LdhPrevious], j);
        // (1 - z) n + z hPrev = n + z (hPrev - n)
        TVec.Store(TVec.MultiplyAdd(z, previous - n, n), ref s.H[row * s.Ldh], j);
        if (s.Save)
        {
            TVec.Store(r, ref gi, j);
            TVec.Store(z, ref gi, zj);
            TVec.Store(n, ref gi, nj);
            TVec.Store(ghn, ref s.Extra[offset], j);
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
