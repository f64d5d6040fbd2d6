using System.Runtime.CompilerServices;

namespace SimdRnn.Internal;

/// <summary>
/// The small-M path (batch 1..4, the GEMV-like inference step): B (not transposed) is read row by row exactly
/// once, without packing, and C's few rows are the accumulators (they stay in L1 for one column chunk).
/// Each element goes through the same chain as in <see cref="MicroKernel"/>, so results are bitwise the same as
/// the blocked path's.
/// </summary>
internal static unsafe class StreamingKernel
{
    // Columns per chunk: M <= 4 rows of 1024 floats of C stay in L1 while all of K streams by.
    private const int ChunkColumns = 1024;

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
        for (int j0 = n0; j0 < n1; j0 += ChunkColumns)
        {
            int columns = Math.Min(ChunkColumns, n1 - j0);
            float* c = p.C + j0;
            if (!p.LoadC)
            {
                // beta = 0: C's old contents (NaN included) are never read; the chains start from +0.
                for (int i = 0; i < rows; i++) new Span<float>(c + i * p.Ldc, columns).Clear();
            }

            nuint vectorColumns = (nuint)(columns - columns % TVec.Count);
            int k = 0;
            // Four rows of B per pass over the C chunk: a quarter of the C loads and stores.
            for (; k + 4 <= p.K; k += 4)
            {
                float* b0 = p.B + k * p.Ldb + j0;
                float* b1 = b0 + p.Ldb, b2 = b1 + p.Ldb, b3 = b2 + p.Ldb;
                var a0 = new Broadcast4<TVec>(p, 0, k);
                var a1 = rows > 1 ? new Broadcast4<TVec>(p, 1, k) : default;
                var a2 = rows > 2 ? new Broadcast4<TVec>(p, 2, k) : default;
                var a3 = rows > 3 ? new Broadcast4<TVec>(p, 3, k) : default;
                for (nuint j = 0; j < vectorColumns; j += width)
                {
                    TVec x0 = TVec.Load(ref *b0, j), x1 = TVec.Load(ref *b1, j), x2 = TVec.Load(ref *b2, j), x3 = TVec.Load(ref *b3, j);
                    a0.Update(c, j, x0, x1, x2, x3);
                    if (rows > 1) a1.Update(c + p.Ldc, j, x0, x1, x2, x3);
                    if (rows > 2) a2.Update(c + 2 * p.Ldc, j, x0, x1, x2, x3);
                    if (rows > 3) a3.Update(c + 3 * p.Ldc, j, x0, x1, x2, x3);
                }
            }

            for (; k < p.K; k++)
            {
                float* bRow = p.B + k * p.Ldb + j0;
                for (int i = 0; i < rows; i++)
                {
                    TVec a = TVec.Create(p.Alpha * p.AAt(i, k));
                    float* cRow = c + i * p.Ldc;
                    for (nuint j = 0; j < vectorColumns; j += width)
                        TVec.Store(TVec.MultiplyAdd(a, TVec.Load(ref *bRow, j), TVec.Load(ref *cRow, j)), ref *cRow, j);
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
                TVec.Store(TVec.MultiplyAdd(TVec.Create(p.Alpha * p.AAt(i, k)), b, TVec.Load(ref *cRow, 0)), ref *cRow, 0);
            }
        }

        for (int i = 0; i < rows; i++) new Span<float>(cTile + i * width, columns).CopyTo(new Span<float>(p.C + i * p.Ldc + j0, columns));
    }

    /// <summary>alpha * op(A)[i, k .. k+4] broadcast, and the four chained updates of one vector of row i of C.</summary>
    private readonly struct Broadcast4<TVec> where TVec : struct, IVector<TVec>
    {
        private readonly TVec _a0, _a1, _a2, _a3;

        public Broadcast4(in GemmOperands p, int i, int k)
        {
            _a0 = TVec.Create(p.Alpha * p.AAt(i, k));
            _a1 = TVec.Create(p.Alpha * p.AAt(i, k + 1));
            _a2 = TVec.Create(p.Alpha * p.AAt(i, k + 2));
            _a3 = TVec.Create(p.Alpha * p.AAt(i, k + 3));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Update(float* cRow, nuint j, TVec b0, TVec b1, TVec b2, TVec b3)
        {
            TVec c = TVec.Load(ref *cRow, j);
            c = TVec.MultiplyAdd(_a0, b0, c);
            c = TVec.MultiplyAdd(_a1, b1, c);
            c = TVec.MultiplyAdd(_a2, b2, c);
            c = TVec.MultiplyAdd(_a3, b3, c);
            TVec.Store(c, ref *cRow, j);
        }
    }
}
