using System.Diagnostics;
using System.Runtime.CompilerServices;
using CommunityToolkit.HighPerformance.Helpers;
using SimdRnn.Execution;
using SimdRnn.Vectors;

namespace SimdRnn.Sgemm;

/// <summary>
/// The Goto/BLIS loops (NC, KC, MC blocks, then NR x MR tiles) and the thread split. Threads take disjoint
/// ranges of whole NR-column panels (or MR-row panels when C is taller than wide) and never split K, and every
/// element of C is computed by the same chain of operations whatever its tile, so the result is bitwise the
/// same for any degree of parallelism.
/// </summary>
internal static unsafe class GemmDriver
{
    public static void Run(in KernelContext context, GemmOperands p, float beta)
    {
        if (p.M == 0 || p.N == 0) return;
        if (p.K == 0 || p.Alpha == 0f)
        {
            // op(A) * op(B) is not evaluated (as BLAS): NaN or infinity in A or B does not reach C.
            ScaleC(p, beta);
            return;
        }

        if (beta == 0f) p.LoadC = false;
        else
        {
            if (beta != 1f) ScaleC(p, beta);
            p.LoadC = true;
        }

        var plan = new Plan(p, context);
        WidthDispatch.Run(ref plan, context.Path);
    }

    /// <summary>
    /// C[m0 .. m1, n0 .. n1) only, on the calling thread: one team member's share of a product whose B is packed
    /// (p.N is B's full width, which the panel layout depends on). beta is 0 or 1; n0 is a multiple of NR
    /// (<see cref="GemmKernel.ColumnUnit"/>), so every element takes the same operations as in the whole product.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunTile(SimdPath path, GemmOperands p, float beta, int m0, int m1, int n0, int n1)
    {
        Debug.Assert(beta is 0f or 1f && p.PackedB != null && p.K > 0 && p.Alpha != 0f);
        if (m1 <= m0 || n1 <= n0) return;
        p.LoadC = beta != 0f;
        var tile = new Tile(p, m0, m1, n0, n1);
        WidthDispatch.Run(ref tile, path);
    }

    private readonly struct Tile(GemmOperands p, int m0, int m1, int n0, int n1) : IWidthKernel
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run<TVec>() where TVec : struct, IVector<TVec> => Blocked<TVec>(p, m0, m1, n0, n1);
    }

    /// <summary>C = beta * C over rows x cols only; beta = 0 writes zeros without reading.</summary>
    private static void ScaleC(in GemmOperands p, float beta)
    {
        for (int i = 0; i < p.M; i++)
        {
            var row = new Span<float>(p.C + i * p.Ldc, p.N);
            if (beta == 0f) row.Clear();
            else if (beta != 1f)
                for (int j = 0; j < row.Length; j++) row[j] *= beta;
        }
    }

    private readonly struct Plan(GemmOperands p, KernelContext context) : IWidthKernel
    {
        public void Run<TVec>() where TVec : struct, IVector<TVec>
        {
            bool streaming = p.PackedB == null && !p.TransposeB && p.M <= GemmBlocking.StreamingMaxRows;
            int columnUnit = streaming ? TVec.Count : GemmBlocking.Nr<TVec>();
            int rowPanels = (p.M + GemmBlocking.Mr<TVec>() - 1) / GemmBlocking.Mr<TVec>();
            int columnPanels = (p.N + columnUnit - 1) / columnUnit;
            bool splitRows = !streaming && rowPanels > columnPanels;
            int units = splitRows ? rowPanels : columnPanels;
            // A few rows of C make the product bandwidth-bound: a GEMV-like product of a large B is worth splitting
            // although its flop count is small.
            long work = Math.Max(2L * p.M * p.N * p.K, Parallelism.StreamedElementCost * p.N * p.K);
            int parts = Parallelism.Parts(context, units, work);

            var worker = new Worker<TVec>(p, streaming, splitRows, units, parts);
            if (parts == 1) worker.Invoke(0);
            else ForkJoin.Run(parts, in worker);
        }
    }

    private readonly struct Worker<TVec>(GemmOperands p, bool streaming, bool splitRows, int units, int parts) : IAction
        where TVec : struct, IVector<TVec>
    {
        public void Invoke(int part)
        {
            int first = (int)((long)part * units / parts);
            int end = (int)((long)(part + 1) * units / parts);
            if (streaming)
                StreamingKernel.Run<TVec>(p, first * TVec.Count, Math.Min(end * TVec.Count, p.N));
            else if (splitRows)
                Blocked<TVec>(p, first * GemmBlocking.Mr<TVec>(), Math.Min(end * GemmBlocking.Mr<TVec>(), p.M), 0, p.N);
            else
                Blocked<TVec>(p, 0, p.M, first * GemmBlocking.Nr<TVec>(), Math.Min(end * GemmBlocking.Nr<TVec>(), p.N));
        }
    }

    /// <summary>C[m0 .. m1, n0 .. n1) with n0 a multiple of NR (A's rows are packed from m0, wherever it is).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Blocked<TVec>(in GemmOperands p, int m0, int m1, int n0, int n1) where TVec : struct, IVector<TVec>
    {
        if (p.PackedFormat == PanelFormat.BFloat16) Blocked<TVec, BFloat16Panel>(p, m0, m1, n0, n1);
        else Blocked<TVec, Float32Panel>(p, m0, m1, n0, n1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Blocked<TVec, TPanel>(in GemmOperands p, int m0, int m1, int n0, int n1)
        where TVec : struct, IVector<TVec> where TPanel : struct, IPanelFormat
    {
        int kcMax = GemmBlocking.Kc<TVec>(), mcMax = GemmBlocking.Mc<TVec>(), ncMax = GemmBlocking.Nc<TVec>();
        int nr = GemmBlocking.Nr<TVec>();
        float* aPacked = PackBuffers.ForA(mcMax * kcMax);
        float* bPacked = p.PackedB == null ? PackBuffers.ForB(kcMax * ncMax) : null;
        nint paddedColumns = Packing.PaddedColumns<TVec>(p.N), line = TPanel.WordsPerLine<TVec>();
        for (int jc = n0; jc < n1; jc += ncMax)
        {
            int nc = Math.Min(ncMax, n1 - jc);
            for (int pc = 0; pc < p.K; pc += kcMax)
            {
                int kc = Math.Min(kcMax, p.K - pc);
                bool loadC = p.LoadC || pc > 0;
                if (p.PackedB == null && m1 - m0 <= mcMax)
                {
                    // One A block: each B micro-panel is used by one pass over A only, so pack it just before that
                    // pass; it stays in L1/L2 instead of making a round trip through L3 as part of a KC x NC block.
                    Packing.PackA<TVec>(p, m0, m1 - m0, pc, kc, aPacked);
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int columns = Math.Min(nr, nc - jr);
                        Packing.PackB<TVec>(p.B, p.Ldb, p.TransposeB, pc, kc, jc + jr, columns, bPacked);
                        MacroKernel<TVec, TPanel>(aPacked, bPacked, m1 - m0, columns, kc, p.C + m0 * p.Ldc + jc + jr, p.Ldc, loadC);
                    }

                    continue;
                }

                float* bBlock;
                if (p.PackedB != null)
                    bBlock = p.PackedB + (pc * paddedColumns / nr + (nint)(jc / nr) * kc) * line;
                else
                {
                    Packing.PackB<TVec>(p.B, p.Ldb, p.TransposeB, pc, kc, jc, nc, bPacked);
                    bBlock = bPacked;
                }

                for (int ic = m0; ic < m1; ic += mcMax)
                {
                    int mc = Math.Min(mcMax, m1 - ic);
                    Packing.PackA<TVec>(p, ic, mc, pc, kc, aPacked);
                    MacroKernel<TVec, TPanel>(aPacked, bBlock, mc, nc, kc, p.C + ic * p.Ldc + jc, p.Ldc, loadC);
                }
            }
        }
    }

    /// <summary>
    /// One packed A block times one packed B block: B micro-panels outer (each stays in L1/L2 while every A panel uses
    /// it), A panels inner. A last A panel of one or two rows takes a group of B panels at once
    /// (<see cref="MicroKernel.RunNarrowWide"/>), so the outer loop walks groups of that many panels.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MacroKernel<TVec, TPanel>(float* aPacked, float* bBlock, int mc, int nc, int kc, float* c, nint ldc, bool loadC)
        where TVec : struct, IVector<TVec> where TPanel : struct, IPanelFormat
    {
        int mr = GemmBlocking.Mr<TVec>(), nr = GemmBlocking.Nr<TVec>(), line = TPanel.WordsPerLine<TVec>();
        int fullRows = mc - mc % mr, lastRows = mc - fullRows;
        int group = MicroKernel.WidePanels(lastRows);
        nint panelStride = (nint)kc * line;
        for (int jg = 0; jg < nc; jg += group * nr)
        {
            int groupEnd = Math.Min(nc, jg + group * nr);
            for (int jr = jg; jr < groupEnd; jr += nr)
            {
                int columns = Math.Min(nr, nc - jr);
                float* bPanel = bBlock + (nint)(jr / nr) * panelStride;
                for (int ir = 0; ir < fullRows; ir += mr)
                {
                    float* aPanel = aPacked + (nint)(ir / mr) * kc * mr;
                    if (loadC)
                    {
                        // The next tile down, or after the last one the top of the next panel.
                        bool below = ir + mr < mc;
                        MicroKernel.PrefetchTile<TVec>(below ? c + (ir + mr) * ldc + jr : c + jr + nr, below ? Math.Min(mr, mc - ir - mr) : mr, ldc);
                    }

                    if (columns < nr) EdgeColumns<TVec, TPanel>(mr, columns, aPanel, bPanel, kc, c + ir * ldc + jr, ldc, loadC);
                    else MicroKernel.RunFull<TVec, TPanel>(aPanel, bPanel, kc, c + ir * ldc + jr, ldc, loadC);
                }
            }

            if (lastRows == 0) continue;
            float* lastA = aPacked + (nint)(fullRows / mr) * kc * mr;
            float* lastC = c + fullRows * ldc;
            if (group > 1 && groupEnd - jg == group * nr)
            {
                float* bGroup = bBlock + (nint)(jg / nr) * panelStride;
                if (lastRows == 1) MicroKernel.RunNarrowWide<TVec, Rows1, TPanel>(lastA, bGroup, panelStride, kc, lastC + jg, ldc, loadC);
                else MicroKernel.RunNarrowWide<TVec, Rows2, TPanel>(lastA, bGroup, panelStride, kc, lastC + jg, ldc, loadC);
                continue;
            }

            for (int jr = jg; jr < groupEnd; jr += nr)
            {
                int columns = Math.Min(nr, nc - jr);
                float* bPanel = bBlock + (nint)(jr / nr) * panelStride;
                if (columns < nr) EdgeColumns<TVec, TPanel>(lastRows, columns, lastA, bPanel, kc, lastC + jr, ldc, loadC);
                else MicroKernel.RunRows<TVec, TPanel>(lastRows, lastA, bPanel, kc, lastC + jr, ldc, loadC);
            }
        }
    }

    /// <summary>A tile narrower than NR, through a zero-padded stack copy: nothing past C's columns is touched.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void EdgeColumns<TVec, TPanel>(int rows, int columns, float* aPanel, float* bPanel, int kc, float* c, nint ldc, bool loadC)
        where TVec : struct, IVector<TVec> where TPanel : struct, IPanelFormat
    {
        int nr = GemmBlocking.Nr<TVec>();
        float* tile = stackalloc float[GemmBlocking.MaxMr * GemmBlocking.MaxNr];
        new Span<float>(tile, rows * nr).Clear();
        if (loadC)
            for (int r = 0; r < rows; r++) new Span<float>(c + r * ldc, columns).CopyTo(new Span<float>(tile + r * nr, columns));

        // The zeroed tile makes loading it the same as starting the chains from +0.
        MicroKernel.RunRows<TVec, TPanel>(rows, aPanel, bPanel, kc, tile, nr, loadC: true);
        for (int r = 0; r < rows; r++) new Span<float>(tile + r * nr, columns).CopyTo(new Span<float>(c + r * ldc, columns));
    }
}
