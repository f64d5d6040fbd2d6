using System.Runtime.CompilerServices;

namespace SimdRnn.Vectors;

/// <summary>A kernel body written once over the vector type; <see cref="WidthDispatch"/> picks the instantiation.</summary>
internal interface IWidthKernel
{
    void Run<TVec>() where TVec : struct, IVector<TVec>;
}

/// <summary>The one place that maps a <see cref="SimdPath"/> to a vector width.</summary>
internal static class WidthDispatch
{
    /// <summary>Runs <paramref name="kernel"/> on <paramref name="path"/> (tests pass the narrower paths to run them in-process).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TKernel>(ref TKernel kernel, SimdPath path) where TKernel : IWidthKernel, allows ref struct
    {
        switch (path)
        {
            case SimdPath.Avx512: kernel.Run<Vec512>(); break;
            case SimdPath.Avx2: kernel.Run<Vec256>(); break;
            case SimdPath.AdvSimd or SimdPath.Vector128: kernel.Run<Vec128>(); break;
            default: kernel.Run<Vec1>(); break;
        }
    }
}
