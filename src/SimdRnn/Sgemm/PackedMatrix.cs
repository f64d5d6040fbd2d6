using CommunityToolkit.HighPerformance;
using System.Diagnostics;
using CommunityToolkit.HighPerformance.Helpers;
using SimdRnn.Execution;
using SimdRnn.Sgemm;
using SimdRnn.Vectors;

namespace SimdRnn;

/// <summary>
/// A right operand op(B) (k x n) packed once into the register-tile kernel's panel layout, to be multiplied many
/// times by <see cref="Gemm.Multiply(MatrixOp, int, float, ReadOnlySpan{float}, int, PackedMatrix, float, Span{float}, int, int)"/>
/// without repacking, e.g. the recurrent weights W_hh^T of a layer, packed once and used at every step.
/// </summary>
/// <remarks>Immutable after creation, so one instance can serve many threads at once. The layout belongs to the
/// <see cref="SimdPath"/> of the process; results are bitwise the same as multiplying by the unpacked matrix.</remarks>
public sealed unsafe class PackedMatrix
{
    private readonly float[] _storage;
    private readonly float* _data;

    private PackedMatrix(int rows, int columns, SimdPath path, float[] storage, float* data)
    {
        Rows = rows;
        Columns = columns;
        Path = path;
        _storage = storage;
        _data = data;
    }

    /// <summary>k: the rows of op(B).</summary>
    public int Rows { get; }

    /// <summary>n: the columns of op(B).</summary>
    public int Columns { get; }

    /// <summary>The path whose panel layout this holds.</summary>
    internal SimdPath Path { get; }

    /// <summary>Packs op(B) of <paramref name="k"/> x <paramref name="n"/> from a row-major span.</summary>
    /// <param name="opB">Whether B is used as stored (k x n) or transposed (stored n x k, as W_hh is for h * W_hh^T).</param>
    /// <param name="k">Rows of op(B).</param>
    /// <param name="n">Columns of op(B).</param>
    /// <param name="b">B as stored.</param>
    /// <param name="ldb">Leading dimension of the stored B.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative or <paramref name="ldb"/> is smaller than the stored row length.</exception>
    /// <exception cref="ArgumentException"><paramref name="b"/> is shorter than the matrix needs.</exception>
    public static PackedMatrix Pack(MatrixOp opB, int k, int n, ReadOnlySpan<float> b, int ldb) => Pack(opB, k, n, b, ldb, Cpu.Path);

    /// <summary>Packs op(B) from a 2D view (stored k x n, or n x k when <paramref name="opB"/> is <see cref="MatrixOp.Transpose"/>).</summary>
    /// <param name="b">B as stored.</param>
    /// <param name="opB">How B is used.</param>
    public static PackedMatrix Pack(ReadOnlySpan2D<float> b, MatrixOp opB = MatrixOp.None)
    {
        // An undefined opB is refused by the span overload (no shape check comes before it).
        (int k, int n) = Gemm.Shape(b.Height, b.Width, opB);
        return Pack(opB, k, n, Gemm.Flatten(b, out int ldb), ldb);
    }

    internal static PackedMatrix Pack(MatrixOp opB, int k, int n, ReadOnlySpan<float> b, int ldb, SimdPath path)
    {
        ThrowIfInvalid(opB, k, n, b, ldb);
        long length = Length(k, n, path);
        ThrowIfTooLong(length, k, n);
        float* data = PackBuffers.AllocatePinned((int)length, out float[] storage);
        fixed (float* source = b)
        {
            var packer = new Packer(source, ldb, opB == MatrixOp.Transpose, k, n, data);
            WidthDispatch.Run(ref packer, path);
        }

        return new PackedMatrix(k, n, path, storage, data);
    }

    /// <summary>The packed floats as a span (for the product's argument checks and pinning).</summary>
    internal ReadOnlySpan<float> Span => new(_data, (int)Length(Rows, Columns, Path));

    /// <summary>Floats (storage words) of a packed k x n op(B) on <paramref name="path"/>.</summary>
    internal static long Length(int k, int n, SimdPath path, PanelFormat format = PanelFormat.Float32)
    {
        var query = new LengthQuery(k, n, format);
        WidthDispatch.Run(ref query, path);
        return query.Length;
    }

    /// <summary>Floats that <see cref="PackInto"/> may need for a k x n op(B) on any path, alignment slack included.</summary>
    internal static long BufferLength(int k, int n, PanelFormat format = PanelFormat.Float32) =>
        format.Words((long)k * ((n + GemmBlocking.MaxNr - 1) / GemmBlocking.MaxNr * GemmBlocking.MaxNr)) + PackBuffers.AlignmentFloats;

    /// <summary>
    /// Packs op(B) into a caller-owned buffer of at least <see cref="BufferLength"/> floats (e.g. a layer's workspace)
    /// on <paramref name="context"/>'s path and returns the cache-line-aligned part that holds the panels, for
    /// <see cref="GemmKernel.MultiplyPacked"/>. The operands are the caller's to validate.
    /// </summary>
    internal static Span<float> PackInto(in KernelContext context, MatrixOp opB, int k, int n, ReadOnlySpan<float> b, int ldb, Span<float> buffer,
        PanelFormat format = PanelFormat.Float32)
    {
        Debug.Assert(buffer.Length >= BufferLength(k, n, format));
        int length = checked((int)Length(k, n, context.Path, format));
        fixed (float* source = b, start = buffer)
        {
            int skip = (int)((64 - (nuint)start % 64) % 64 / sizeof(float));
            // A large pack (a layer's W_hh, once per call) is split by column panels; each panel is a plain copy, so
            // the packed matrix does not depend on the split.
            int parts = Parallelism.Parts(context, n, Parallelism.StreamedElementCost * k * n);
            ForkJoin.Run(parts, new PackWorker(source, ldb, opB == MatrixOp.Transpose, k, n, start + skip, parts, context.Path, format));
            return buffer.Slice(skip, length);
        }
    }

    /// <summary>Throws unless <paramref name="length"/> packed floats and the alignment slack fit in one array.</summary>
    internal static void ThrowIfTooLong(long length, int k, int n)
    {
        if (length > Array.MaxLength - PackBuffers.AlignmentFloats)
            ThrowHelper.ThrowArgument("b", $"a packed {k} x {n} matrix needs {length} floats, more than one array holds.");
    }

    private static void ThrowIfInvalid(MatrixOp opB, int k, int n, ReadOnlySpan<float> b, int ldb)
    {
        Gemm.ThrowIfUndefined(opB, nameof(opB));
        GemmArguments.ThrowIfNegative(k, nameof(k));
        GemmArguments.ThrowIfNegative(n, nameof(n));
        (int rows, int columns) = Gemm.Shape(k, n, opB);
        GemmArguments.Extent(b, rows, columns, ldb, nameof(b), nameof(ldb));
    }

    private struct LengthQuery(int k, int n, PanelFormat format) : IWidthKernel
    {
        public long Length;

        public void Run<TVec>() where TVec : struct, IVector<TVec> => Length = Packing.PackedLength<TVec>(k, n, format);
    }

    /// <summary>Packs the column panels of share <paramref name="part"/> of <paramref name="parts"/> (all of them by default).</summary>
    private readonly struct Packer(float* b, int ldb, bool transpose, int k, int n, float* destination, int part = 0, int parts = 1,
        PanelFormat format = PanelFormat.Float32) : IWidthKernel
    {
        public void Run<TVec>() where TVec : struct, IVector<TVec>
        {
            int kc = GemmBlocking.Kc<TVec>(), nr = GemmBlocking.Nr<TVec>();
            nint paddedColumns = Packing.PaddedColumns<TVec>(n);
            nint line = (nint)format.Words(nr);
            int panels = (n + nr - 1) / nr;
            int j0 = (int)((long)part * panels / parts) * nr, j1 = Math.Min(n, (int)((long)(part + 1) * panels / parts) * nr);
            if (j0 >= j1) return;
            // The same KC blocks as the unpacked product, so the chains (and the results) are the same.
            for (int pc = 0; pc < k; pc += kc)
            {
                int depth = Math.Min(kc, k - pc);
                float* block = destination + (pc * paddedColumns / nr + (nint)(j0 / nr) * depth) * line;
                if (format == PanelFormat.BFloat16) Packing.PackBBFloat16<TVec>(b, ldb, transpose, pc, depth, j0, j1 - j0, block);
                else Packing.PackB<TVec>(b, ldb, transpose, pc, depth, j0, j1 - j0, block);
            }
        }
    }

    /// <summary>One thread's share of the column panels of a pack.</summary>
    private readonly struct PackWorker(float* b, int ldb, bool transpose, int k, int n, float* destination, int parts, SimdPath path,
        PanelFormat format) : IAction
    {
        public void Invoke(int part)
        {
            var packer = new Packer(b, ldb, transpose, k, n, destination, part, parts, format);
            WidthDispatch.Run(ref packer, path);
        }
    }
}
