using System.Runtime.CompilerServices;
using SimdRnn.Vectors;
using static SimdRnn.Vectors.RowDriver;

namespace SimdRnn.Activations;

/// <summary>
/// An element-wise operator over whole spans: full vectors, then the rest one lane at a time through
/// <see cref="RowDriver.RunTail"/>; each element is read and written once, so exact in-place use is safe. Operands
/// are the caller's to validate.
/// </summary>
/// <remarks>
/// The vector loop is written out in each root rather than taken from <see cref="RowDriver.Run{TVec, TStep}(ref TStep, int, int)"/>:
/// the JIT gives a root an inline budget in proportion to its own IL size, and a root of a few IL bytes around an
/// inlined tanh or sigmoid ran out of it: their vector operations became calls, ten times slower
/// (<c>DOTNET_JitDisasmSummary=1</c> lists them as compiled methods).
/// </remarks>
internal static class ElementwiseKernel
{
    public static void Unary<TOp>(SimdPath path, ReadOnlySpan<float> x, Span<float> y) where TOp : IUnaryOperator
    {
        var kernel = new UnaryStep<TOp>(x, y);
        WidthDispatch.Run(ref kernel, path);
    }

    public static void Binary<TOp>(SimdPath path, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> result) where TOp : IBinaryOperator
    {
        var kernel = new BinaryStep<TOp>(a, b, result);
        WidthDispatch.Run(ref kernel, path);
    }

    private readonly ref struct UnaryStep<TOp>(ReadOnlySpan<float> x, Span<float> y) : IWidthKernel, IColumnStep where TOp : IUnaryOperator
    {
        private readonly ReadOnlySpan<float> _x = x;
        private readonly Span<float> _y = y;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public void Run<TVec>() where TVec : struct, IVector<TVec>
        {
            ref float x = ref At(_x, 0), y = ref At(_y, 0);
            nuint count = (nuint)_x.Length, vectorEnd = count - count % (nuint)TVec.Count;
            for (nuint j = 0; j < vectorEnd; j += (nuint)TVec.Count)
                TVec.Store(TOp.Invoke(TVec.Load(ref x, j)), ref y, j);
            UnaryStep<TOp> step = this;
            RowDriver.RunTail(ref step, 0, vectorEnd, count);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TVec>(int row, nuint j) where TVec : struct, IVector<TVec> =>
            TVec.Store(TOp.Invoke(TVec.Load(ref At(_x, 0), j)), ref At(_y, 0), j);
    }

    private readonly ref struct BinaryStep<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> result) : IWidthKernel, IColumnStep
        where TOp : IBinaryOperator
    {
        private readonly ReadOnlySpan<float> _a = a, _b = b;
        private readonly Span<float> _result = result;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public void Run<TVec>() where TVec : struct, IVector<TVec>
        {
            ref float a = ref At(_a, 0), b = ref At(_b, 0), result = ref At(_result, 0);
            nuint count = (nuint)_a.Length, vectorEnd = count - count % (nuint)TVec.Count;
            for (nuint j = 0; j < vectorEnd; j += (nuint)TVec.Count)
                TVec.Store(TOp.Invoke(TVec.Load(ref a, j), TVec.Load(ref b, j)), ref result, j);
            BinaryStep<TOp> step = this;
            RowDriver.RunTail(ref step, 0, vectorEnd, count);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TVec>(int row, nuint j) where TVec : struct, IVector<TVec> =>
            TVec.Store(TOp.Invoke(TVec.Load(ref At(_a, 0), j), TVec.Load(ref At(_b, 0), j)), ref At(_result, 0), j);
    }
}
