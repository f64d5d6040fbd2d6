using System.Runtime.CompilerServices;
using SimdRnn.Vectors;
using static SimdRnn.Vectors.RowDriver;

namespace SimdRnn.Activations;

/// <summary>
/// An element-wise operator over whole spans, through the one 1-D driver (<see cref="RowDriver"/> over a single
/// row): each element is read and written once, so exact in-place use is safe. Operands are the caller's to validate.
/// </summary>
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
            UnaryStep<TOp> step = this;
            RowDriver.Run<TVec, UnaryStep<TOp>>(ref step, 1, _x.Length);
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
            BinaryStep<TOp> step = this;
            RowDriver.Run<TVec, BinaryStep<TOp>>(ref step, 1, _a.Length);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TVec>(int row, nuint j) where TVec : struct, IVector<TVec> =>
            TVec.Store(TOp.Invoke(TVec.Load(ref At(_a, 0), j), TVec.Load(ref At(_b, 0), j)), ref At(_result, 0), j);
    }
}
