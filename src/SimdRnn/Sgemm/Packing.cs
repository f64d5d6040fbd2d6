using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SimdRnn.Vectors;

namespace SimdRnn.Sgemm;

/// <summary>
/// Copies blocks of A and B into the micro-panel layout the <see cref="MicroKernel"/> streams, zero-padded to whole
/// panels so that edge tiles never read past the caller's spans.
/// </summary>
internal static unsafe class Packing
{
    // Values of k per block of a transposing pack: 16 lines of one stored row, and 16 NR-float lines of the panel.
    private const int TransposeDepth = 16;

    /// <summary>
    /// Packs alpha * op(A)[i0 .. i0+mc, k0 .. k0+kc] as MR-row panels: panel p holds, for each k, the MR values
    /// of rows i0 + p*MR .. (zeros past mc), at dst + p*kc*MR.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA<TVec>(in GemmOperands p, int i0, int mc, int k0, int kc, float* dst)
        where TVec : struct, IVector<TVec>
    {
        int mr = GemmBlocking.Mr<TVec>();
        if (p.TransposeA)
        {
            PackATransposed(p, i0, mc, k0, kc, mr, dst);
            return;
        }

        float alpha = p.Alpha;
        for (int ir = 0; ir < mc; ir += mr, dst += (nint)kc * mr)
        {
            int rows = Math.Min(mr, mc - ir);
            // Groups of four rows go four floats at a time (a 4 x 4 transpose); the rest one by one.
            int vectorRows = rows - rows % 4;
            float* rowsStart = p.A + (nint)(i0 + ir) * p.Lda + k0;
            int vectorDepth = alpha == 1f ? kc - kc % 4 : 0;
            if (rows == 8)
            {
                // A full eight-row panel (AVX-512's MR): 8 x 8 transposes, then one 4 x 4 block if kc % 8 = 4.
                int depth8 = kc - kc % 8;
                for (int k = 0; k < Math.Min(depth8, vectorDepth); k += 8)
                    Vec256.TransposeSquare(rowsStart + k, p.Lda, dst + (nint)k * mr, mr);
                for (int r = 0; r < 8; r += 4)
                    for (int k = depth8; k < vectorDepth; k += 4)
                        Vec128.TransposeSquare(rowsStart + r * p.Lda + k, p.Lda, dst + (nint)k * mr + r, mr);
            }
            else
            {
                for (int r = 0; r < vectorRows; r += 4)
                    for (int k = 0; k < vectorDepth; k += 4)
                        Vec128.TransposeSquare(rowsStart + r * p.Lda + k, p.Lda, dst + (nint)k * mr + r, mr);
            }

            // Row by row: contiguous reads, strided writes into the (L1-resident) panel.
            for (int r = 0; r < rows; r++)
            {
                float* source = rowsStart + r * p.Lda;
                for (int k = r < vectorRows ? vectorDepth : 0; k < kc; k++) dst[(nint)k * mr + r] = alpha * source[k];
            }

            for (int r = rows; r < mr; r++)
                for (int k = 0; k < kc; k++) dst[(nint)k * mr + r] = 0f;
        }
    }

    /// <summary>
    /// <see cref="PackA{TVec}"/> of A stored K x M, where the MR values of one k are contiguous. Blocks of
    /// <see cref="TransposeDepth"/> k across all panels: a stored line holds the values of several panels, and within a
    /// block it is read for each of them while still in L1 (panel by panel over the whole depth, each line came back
    /// from L2 or beyond once per panel).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackATransposed(in GemmOperands p, int i0, int mc, int k0, int kc, int mr, float* dst)
    {
        float alpha = p.Alpha;
        var scale = Vector128.Create(alpha);
        for (int kb = 0; kb < kc; kb += TransposeDepth)
        {
            int kEnd = Math.Min(kc, kb + TransposeDepth);
            for (int ir = 0; ir < mc; ir += mr)
            {
                int rows = Math.Min(mr, mc - ir), vectorRows = rows - rows % 4;
                float* panel = dst + (nint)(ir / mr) * kc * mr;
                for (int k = kb; k < kEnd; k++)
                {
                    float* source = p.A + (nint)(k0 + k) * p.Lda + i0 + ir;
                    float* panelRow = panel + (nint)k * mr;
                    for (int r = 0; r < vectorRows; r += 4) (scale * Vector128.Load(source + r)).Store(panelRow + r);
                    for (int r = vectorRows; r < rows; r++) panelRow[r] = alpha * source[r];
                    for (int r = rows; r < mr; r++) panelRow[r] = 0f;
                }
            }
        }
    }

    /// <summary>
    /// Packs op(B)[k0 .. k0+kc, j0 .. j0+nc] as NR-column panels: panel q holds, for each k, the NR values of
    /// columns j0 + q*NR .. (zeros past nc), at dst + q*kc*NR. <see cref="PackedMatrix"/> uses the same layout.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB<TVec>(float* b, nint ldb, bool transposeB, int k0, int kc, int j0, int nc, float* dst)
        where TVec : struct, IVector<TVec>
    {
        int nr = GemmBlocking.Nr<TVec>();
        for (int jr = 0; jr < nc; jr += nr, dst += (nint)kc * nr)
        {
            int columns = Math.Min(nr, nc - jr);
            if (transposeB)
            {
                // Stored N x K: a transpose. Whole W x W blocks go through registers; the rest (a narrow last panel,
                // a depth that is not a multiple of W) element by element, in blocks of k so that the lines of the
                // panel being written stay in L1.
                int width = TVec.Count;
                int vectorDepth = columns == nr ? kc - kc % width : 0;
                float* panelSource = b + (nint)(j0 + jr) * ldb + k0;
                for (int kb = 0; kb < vectorDepth; kb += width)
                    for (int j = 0; j < nr; j += width)
                        TVec.TransposeSquare(panelSource + j * ldb + kb, ldb, dst + (nint)kb * nr + j, nr);

                for (int kb = vectorDepth; kb < kc; kb += TransposeDepth)
                {
                    int depth = Math.Min(TransposeDepth, kc - kb);
                    for (int j = 0; j < columns; j++)
                    {
                        float* source = panelSource + j * ldb + kb;
                        float* target = dst + (nint)kb * nr + j;
                        for (int k = 0; k < depth; k++) target[(nint)k * nr] = source[k];
                    }
                }

                for (int j = columns; j < nr; j++)
                    for (int k = 0; k < kc; k++) dst[(nint)k * nr + j] = 0f;
            }
            else if (columns == nr)
            {
                for (int k = 0; k < kc; k++)
                {
                    float* source = b + (nint)(k0 + k) * ldb + j0 + jr;
                    float* panelRow = dst + (nint)k * nr;
                    TVec.Store(TVec.Load(ref *source, 0), ref *panelRow, 0);
                    TVec.Store(TVec.Load(ref *source, (nuint)TVec.Count), ref *panelRow, (nuint)TVec.Count);
                }
            }
            else
            {
                for (int k = 0; k < kc; k++)
                {
                    float* source = b + (nint)(k0 + k) * ldb + j0 + jr;
                    float* panelRow = dst + (nint)k * nr;
                    for (int j = 0; j < columns; j++) panelRow[j] = source[j];
                    for (int j = columns; j < nr; j++) panelRow[j] = 0f;
                }
            }
        }
    }

    /// <summary>
    /// <see cref="PackB{TVec}"/> rounded to bfloat16 (<see cref="BFloat16Panel"/>: each line of a panel is W words,
    /// word i holding column i and column W + i). Runs once per prepare, not per product: plain scalar code.
    /// </summary>
    public static void PackBBFloat16<TVec>(float* b, nint ldb, bool transposeB, int k0, int kc, int j0, int nc, float* dst)
        where TVec : struct, IVector<TVec>
    {
        int nr = GemmBlocking.Nr<TVec>(), width = TVec.Count;
        uint* line = (uint*)dst;
        for (int jr = 0; jr < nc; jr += nr)
        {
            int columns = Math.Min(nr, nc - jr);
            for (int k = 0; k < kc; k++, line += width)
                for (int i = 0; i < width; i++)
                {
                    uint low = i < columns ? BFloat16Panel.Round(At(b, ldb, transposeB, k0 + k, j0 + jr + i)) : 0u;
                    uint high = width + i < columns ? BFloat16Panel.Round(At(b, ldb, transposeB, k0 + k, j0 + jr + width + i)) : 0u;
                    line[i] = low | high << 16;
                }
        }
    }

    /// <summary>op(B)[k, j] of B as stored.</summary>
    private static float At(float* b, nint ldb, bool transposeB, int k, int j) => transposeB ? b[j * ldb + k] : b[k * ldb + j];

    /// <summary>Words of a packed op(B) of k x n: every KC block holds whole NR panels.</summary>
    public static long PackedLength<TVec>(int k, int n, PanelFormat format = PanelFormat.Float32) where TVec : struct, IVector<TVec> =>
        format.Words((long)k * PaddedColumns<TVec>(n));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int PaddedColumns<TVec>(int n) where TVec : struct, IVector<TVec>
    {
        int nr = GemmBlocking.Nr<TVec>();
        return (n + nr - 1) / nr * nr;
    }
}
