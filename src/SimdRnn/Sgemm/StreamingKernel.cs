using System.Runtime.CompilerServices;
using SimdRnn.Vectors;

namespace SimdRnn.Sgemm;

/// <summary>
/// The small-M path (batch 1..4, the GEMV-like inference step): B (not transposed) is read row by row exactly
/// once, without packing, in long contiguous runs that keep the hardware prefetchers busy; C's few rows are the
/// accumulators (they stay in L1/L2 while eight rows of B at a time stream by).
/// Each element goes through the same chain as in <see cref="MicroKernel"/>, so results are bitwise the same as
/// the blocked path's.
/// </summary>
internal static unsafe class StreamingKernel
{
    // Columns per chunk: long runs of each B row (a 4 KB run per row was 30% slower on skinny-1).
    private const int ChunkColumns = 16384;

    // Rows of B per pass over the chunk of C: an eighth of the C loads and stores, eight streams in flight.
    private const int RowsPerPass = 8;

    /// <summary>C[0 .. M, n0 .. n1) for M &lt;= <see cref="GemmBlocking.StreamingMaxRows"/>; n0 is a multiple of the width.</summary>
    public static void Run<TVec>(in GemmOperands p, int n0, int n1) where TVec : struct, IVector<TVec>
    {
        switch (p.M)
        {
            case 1: Run<TVec, Rows1>(p, n0, n1); break;
            case 2: Run<TVec, Rows2>(p, n0, n1); break;
            case 3: Run<TVec, Rows3>(p, n0, n1); break;
            default: Run<TVec, Rows4>(p, n0, n1); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<TVec, TRows>(in GemmOperands p, int n0, int n1)
        where TVec : struct, IVector<TVec> where TRows : struct, IRowCount
    {
        int rows = TRows.Value;
        nuint width = (nuint)TVec.Count;
        float* a = stackalloc float[GemmBlocking.StreamingMaxRows * RowsPerPass];
        for (int chunk = n0; chunk < n1; chunk += ChunkColumns)
        {
            int chunkColumns = Math.Min(ChunkColumns, n1 - chunk);
            if (!p.LoadC)
            {
                // beta = 0: C's old contents (NaN included) are never read; the chains start from +0.
                for (int i = 0; i < rows; i++) new Span<float>(p.C + i * p.Ldc + chunk, chunkColumns).Clear();
            }

            // Start the vector loop where B's first row is vector-aligned (the few columns before go through Tail):
            // streaming B is bandwidth-bound, and a load split over two cache lines costs two.
            nuint vectorBytes = (nuint)(TVec.Count * sizeof(float));
            int head = Math.Min(chunkColumns, (int)((vectorBytes - (nuint)(p.B + chunk) % vectorBytes) % vectorBytes / sizeof(float)));
            if (head > 0) Tail<TVec>(p, rows, chunk, head);
            int j0 = chunk + head, columns = chunkColumns - head;
            float* c = p.C + j0;

            nuint vectorColumns = (nuint)(columns - columns % TVec.Count);
            int k = 0;
            for (; k + RowsPerPass <= p.K; k += RowsPerPass)
            {
                for (int i = 0; i < rows; i++)
                    for (int q = 0; q < RowsPerPass; q++) a[i * RowsPerPass + q] = p.Alpha * p.AAt(i, k + q);
                float* b = p.B + k * p.Ldb + j0;
                nint ldb = p.Ldb;
                for (nuint j = 0; j < vectorColumns; j += width)
                {
                    TVec x0 = TVec.Load(ref *b, j), x1 = TVec.Load(ref b[ldb], j), x2 = TVec.Load(ref b[2 * ldb], j), x3 = TVec.Load(ref b[3 * ldb], j),
                        x4 = TVec.Load(ref b[4 * ldb], j), x5 = TVec.Load(ref b[5 * ldb], j), x6 = TVec.Load(ref b[6 * ldb], j), x7 = TVec.Load(ref b[7 * ldb], j);
                    Update(c + j, a, x0, x1, x2, x3, x4, x5, x6, x7);
                    if (rows > 1) Update(c + p.Ldc + j, a + RowsPerPass, x0, x1, x2, x3, x4, x5, x6, x7);
                    if (rows > 2) Update(c + 2 * p.Ldc + j, a + 2 * RowsPerPass, x0, x1, x2, x3, x4, x5, x6, x7);
                    if (rows > 3) Update(c + 3 * p.Ldc + j, a + 3 * RowsPerPass, x0, x1, x2, x3, x4, x5, x6, x7);
                }
            }

            for (; k < p.K; k++)
            {
                float* bRow = p.B + k * p.Ldb + j0;
                for (int i = 0; i < rows; i++)
                {
                    TVec scaled = Broadcast<TVec>(p, i, k);
                    float* cRow = c + i * p.Ldc;
                    for (nuint j = 0; j < vectorColumns; j += width)
                        TVec.Store(TVec.MultiplyAdd(scaled, TVec.Load(ref *bRow, j), TVec.Load(ref *cRow, j)), ref *cRow, j);
                }
            }

            if ((int)vectorColumns < columns) Tail<TVec>(p, rows, j0 + (int)vectorColumns, columns - (int)vectorColumns);
        }
    }

    /// <summary>The last columns (fewer than one vector), through zero-padded stack copies of C and of each B row.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tail<TVec>(in GemmOperands p, int rows, int j0, int columns) where TVec : struct, IVector<TVec>
    {
        int width = TVec.Count;
        float* cTile = stackalloc float[GemmBlocking.StreamingMaxRows * width];
        float* bRow = stackalloc float[width];
        new Span<float>(cTile, GemmBlocking.StreamingMaxRows * width).Clear();
        new Span<float>(bRow, width).Clear();
        for (int i = 0; i < rows; i++) new Span<float>(p.C + i * p.Ldc + j0, columns).CopyTo(new Span<float>(cTile + i * width, columns));

        for (int k = 0; k < p.K; k++)
        {
            new Span<float>(p.B + k * p.Ldb + j0, columns).CopyTo(new Span<float>(bRow, columns));
            TVec b = TVec.Load(ref *bRow, 0);
            for (int i = 0; i < rows; i++)
            {
                float* cRow = cTile + i * width;
                TVec.Store(TVec.MultiplyAdd(Broadcast<TVec>(p, i, k), b, TVec.Load(ref *cRow, 0)), ref *cRow, 0);
            }
        }

        for (int i = 0; i < rows; i++) new Span<float>(cTile + i * width, columns).CopyTo(new Span<float>(p.C + i * p.Ldc + j0, columns));
    }

    /// <summary>alpha * op(A)[i, k] in every lane (the same rounding as the packed A of the blocked path).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Broadcast<TVec>(in GemmOperands p, int i, int k) where TVec : struct, IVector<TVec> =>
        TVec.Create(p.Alpha * p.AAt(i, k));

    /// <summary>Eight chained updates of one vector of a row of C, with alpha * op(A)[i, k .. k+8] from <paramref name="a"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update<TVec>(float* c, float* a, TVec b0, TVec b1, TVec b2, TVec b3, TVec b4, TVec b5, TVec b6, TVec b7)
        where TVec : struct, IVector<TVec>
    {
        TVec sum = TVec.Load(ref *c, 0);
        sum = TVec.MultiplyAdd(TVec.Broadcast(a), b0, sum);
        sum = TVec.MultiplyAdd(TVec.Broadcast(a + 1), b1, sum);
        sum = TVec.MultiplyAdd(TVec.Broadcast(a + 2), b2, sum);
        sum = TVec.MultiplyAdd(TVec.Broadcast(a + 3), b3, sum);
        sum = TVec.MultiplyAdd(TVec.Broadcast(a + 4), b4, sum);
        sum = TVec.MultiplyAdd(TVec.Broadcast(a + 5), b5, sum);
        sum = TVec.MultiplyAdd(TVec.Broadcast(a + 6), b6, sum);
        sum = TVec.MultiplyAdd(TVec.Broadcast(a + 7), b7, sum);
        TVec.Store(sum, ref *c, 0);
    }
}
