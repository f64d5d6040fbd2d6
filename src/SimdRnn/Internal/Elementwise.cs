using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SimdRnn.Internal;

internal interface IUnaryOperator
{
    static abstract TVec Invoke<TVec>(TVec x) where TVec : struct, IVector<TVec>;
}

internal interface IBinaryOperator
{
    static abstract TVec Invoke<TVec>(TVec a, TVec b) where TVec : struct, IVector<TVec>;
}

/// <summary>
/// The driver loops of the element-wise kernels: validation, the vector loop and the tail. A tail shorter than
/// a vector is handled by computing the last full vector first (so in-place use stays correct) or, for spans
/// shorter than one vector, through a stack buffer; nothing outside the destination is read or written.
/// </summary>
internal static class Elementwise
{
    public static void Unary<TOp>(ReadOnlySpan<float> x, Span<float> y, SimdPath path,
        [CallerArgumentExpression(nameof(x))] string xName = "", [CallerArgumentExpression(nameof(y))] string yName = "")
        where TOp : IUnaryOperator
    {
        ThrowHelper.ThrowIfLengthsDiffer(x.Length, y.Length, xName, yName);
        ThrowIfPartialOverlap(x, y, xName, yName);
        var kernel = new UnaryKernel<TOp>(x, y);
        WidthDispatch.Run(ref kernel, path);
    }

    public static void Binary<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> result, SimdPath path,
        [CallerArgumentExpression(nameof(a))] string aName = "", [CallerArgumentExpression(nameof(b))] string bName = "",
        [CallerArgumentExpression(nameof(result))] string resultName = "")
        where TOp : IBinaryOperator
    {
        ThrowHelper.ThrowIfLengthsDiffer(a.Length, b.Length, aName, bName);
        ThrowHelper.ThrowIfLengthsDiffer(a.Length, result.Length, aName, resultName);
        ThrowIfPartialOverlap(a, result, aName, resultName);
        ThrowIfPartialOverlap(b, result, bName, resultName);
        var kernel = new BinaryKernel<TOp>(a, b, result);
        WidthDispatch.Run(ref kernel, path);
    }

    /// <summary>Exact aliasing (in place) is allowed; a shifted overlap would read already written values.</summary>
    public static void ThrowIfPartialOverlap(ReadOnlySpan<float> source, Span<float> destination, string sourceName, string destinationName)
    {
        if (source.Overlaps(destination, out int offset) && offset != 0)
            ThrowHelper.ThrowArgument(destinationName,
                $"{destinationName} overlaps {sourceName} at an offset of {offset} elements; only exact in-place use is allowed.");
    }

    private ref struct UnaryKernel<TOp>(ReadOnlySpan<float> x, Span<float> y) : IWidthKernel where TOp : IUnaryOperator
    {
        private readonly ReadOnlySpan<float> _x = x;
        private readonly Span<float> _y = y;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TVec>() where TVec : struct, IVector<TVec>
        {
            nuint length = (nuint)_x.Length;
            nuint width = (nuint)TVec.Count;
            ref float x = ref MemoryMarshal.GetReference(_x);
            ref float y = ref MemoryMarshal.GetReference(_y);
            if (length < width)
            {
                if (length == 0) return;
                Span<float> buffer = stackalloc float[TVec.Count];
                buffer.Clear();
                _x.CopyTo(buffer);
                TVec.Store(TOp.Invoke(TVec.Load(ref MemoryMarshal.GetReference(buffer), 0)), ref MemoryMarshal.GetReference(buffer), 0);
                buffer[.._x.Length].CopyTo(_y);
                return;
            }

            TVec last = TOp.Invoke(TVec.Load(ref x, length - width));
            nuint i = 0;
            for (; i + 2 * width <= length; i += 2 * width)
            {
                TVec first = TOp.Invoke(TVec.Load(ref x, i));
                TVec second = TOp.Invoke(TVec.Load(ref x, i + width));
                TVec.Store(first, ref y, i);
                TVec.Store(second, ref y, i + width);
            }

            if (i + width <= length)
                TVec.Store(TOp.Invoke(TVec.Load(ref x, i)), ref y, i);
            TVec.Store(last, ref y, length - width);
        }
    }

    private ref struct BinaryKernel<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> result) : IWidthKernel
        where TOp : IBinaryOperator
    {
        private readonly ReadOnlySpan<float> _a = a;
        private readonly ReadOnlySpan<float> _b = b;
        private readonly Span<float> _result = result;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TVec>() where TVec : struct, IVector<TVec>
        {
            nuint length = (nuint)_a.Length;
            nuint width = (nuint)TVec.Count;
            ref float a = ref MemoryMarshal.GetReference(_a);
            ref float b = ref MemoryMarshal.GetReference(_b);
            ref float result = ref MemoryMarshal.GetReference(_result);
            if (length < width)
            {
                if (length == 0) return;
                Span<float> buffer = stackalloc float[2 * TVec.Count];
                buffer.Clear();
                _a.CopyTo(buffer);
                _b.CopyTo(buffer[TVec.Count..]);
                ref float start = ref MemoryMarshal.GetReference(buffer);
                TVec.Store(TOp.Invoke(TVec.Load(ref start, 0), TVec.Load(ref start, width)), ref start, 0);
                buffer[.._a.Length].CopyTo(_result);
                return;
            }

            TVec last = TOp.Invoke(TVec.Load(ref a, length - width), TVec.Load(ref b, length - width));
            nuint i = 0;
            for (; i + 2 * width <= length; i += 2 * width)
            {
                TVec first = TOp.Invoke(TVec.Load(ref a, i), TVec.Load(ref b, i));
                TVec second = TOp.Invoke(TVec.Load(ref a, i + width), TVec.Load(ref b, i + width));
                TVec.Store(first, ref result, i);
                TVec.Store(second, ref result, i + width);
            }

            if (i + width <= length)
                TVec.Store(TOp.Invoke(TVec.Load(ref a, i), TVec.Load(ref b, i)), ref result, i);
            TVec.Store(last, ref result, length - width);
        }
    }
}
