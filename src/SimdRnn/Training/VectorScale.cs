using System.Runtime.CompilerServices;
using SimdRnn.Vectors;
using static SimdRnn.Vectors.RowDriver;

namespace SimdRnn.Training;

/// <summary>values *= factor, vectorised (shared by clipping and the softmax pass).</summary>
internal static class VectorScale
{
    public static void Multiply(SimdPath path, Span<float> values, float factor)
    {
        var kernel = new ScaleKernel(values, factor);
        WidthDispatch.Run(ref kernel, path);
    }

    internal ref struct ScaleKernel(Span<float> values, float factor) : IWidthKernel, IColumnStep
    {
        private readonly Span<float> _values = values;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public void Run<TVec>() where TVec : struct, IVector<TVec> => RowDriver.Run<TVec, ScaleKernel>(ref this, 1, _values.Length);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Step<TVec>(int row, nuint j) where TVec : struct, IVector<TVec>
        {
            ref float v = ref At(_values, 0);
            TVec.Store(TVec.Load(ref v, j) * TVec.Create(factor), ref v, j);
        }
    }
}
