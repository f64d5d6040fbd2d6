using System.Runtime.CompilerServices;
using SimdRnn.Activations;
using SimdRnn.Vectors;

namespace SimdRnn.Cells;

/// <summary>
/// One gate's activation as a loop of its own over a row's columns [j0, j1), written over the gate (training keeps
/// it for backward; in inference the gates are the step's own rows). A fused cell step with all its activations in
/// one root per vector had more inlined locals than the JIT tracks (1024): the rest lived on the stack and every
/// constant was broadcast again for each vector. One activation per root keeps its constants in registers.
/// </summary>
internal static unsafe class GateLoops
{
    /// <summary>gate = activation(gate + bias).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Activate<TVec, TActivation>(float* gate, float* bias, nuint j0, nuint j1)
        where TVec : struct, IVector<TVec> where TActivation : IUnaryOperator
    {
        for (nuint j = j0; j < j1; j += (nuint)TVec.Count)
            TVec.Store(TActivation.Invoke(TVec.Load(ref gate[0], j) + TVec.Load(ref bias[0], j)), ref gate[0], j);
    }

    /// <summary>gate = activation(gate + bias + (recurrent + recurrentBias)), for cells that keep the recurrent product apart.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Activate<TVec, TActivation>(float* gate, float* bias, float* recurrent, float* recurrentBias, nuint j0, nuint j1)
        where TVec : struct, IVector<TVec> where TActivation : IUnaryOperator
    {
        for (nuint j = j0; j < j1; j += (nuint)TVec.Count)
        {
            TVec sum = TVec.Load(ref gate[0], j) + TVec.Load(ref bias[0], j)
                + (TVec.Load(ref recurrent[0], j) + TVec.Load(ref recurrentBias[0], j));
            TVec.Store(TActivation.Invoke(sum), ref gate[0], j);
        }
    }
}
