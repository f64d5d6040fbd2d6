using CommunityToolkit.HighPerformance;
using SimdRnn.Internal;

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

    /// <summary>The aligned start of the panels; the storage is pinned, so the address never changes.</summary>
    internal float* Data => _data;

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
        Gemm.ThrowIfUndefined(opB, nameof(opB));
        (int k, int n) = Gemm.Shape(b.Height, b.Width, opB);
        return Pack(opB, k, n, Gemm.Flatten(b, out int ldb), ldb);
    }

    internal static PackedMatrix Pack(MatrixOp opB, int k, int n, ReadOnlySpan<float> b, int ldb, SimdPath path)
    {
        Gemm.ThrowIfUndefined(opB, nameof(opB));
        GemmArguments.ThrowIfNegative(k, nameof(k));
        GemmArguments.ThrowIfNegative(n, nameof(n));
        (int rows, int columns) = Gemm.Shape(k, n, opB);
        GemmArguments.Extent(b, rows, columns, ldb, nameof(b), nameof(ldb));
        fixed (float* source = b)
        {
            var packer = new Packer(source, ldb, opB == MatrixOp.Transpose, k, n);
            WidthDispatch.Run(ref packer, path);
            return new PackedMatrix(k, n, path, packer.Storage!, packer.Data);
        }
    }

    private struct Packer(float* b, int ldb, bool transpose, int k, int n) : IWidthKernel
    {
        public float[]? Storage;
        public float* Data;

        public void Run<TVec>() where TVec : struct, IVector<TVec>
        {
            long length = Packing.PackedLength<TVec>(k, n);
            if (length > Array.MaxLength - 64)
                ThrowHelper.ThrowArgument(nameof(b), $"a packed {k} x {n} matrix needs {length} floats, more than one array holds.");
            Data = PackBuffers.AllocatePinned((int)length, out float[] storage);
            Storage = storage;
            int kc = GemmBlocking.Kc<TVec>();
            nint paddedColumns = Packing.PaddedColumns<TVec>(n);
            // The same KC blocks as the unpacked product, so the chains (and the results) are the same.
            for (int pc = 0; pc < k; pc += kc)
                Packing.PackB<TVec>(b, ldb, transpose, pc, Math.Min(kc, k - pc), 0, n, Data + pc * paddedColumns);
        }
    }
}
