using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using SimdRnn.Vectors;

namespace SimdRnn.Sgemm;

/// <summary>
/// The register-tile kernel, written once over the vector width and the panel format: rows x NR of C (NR = two
/// vectors) updated with one packed A micro-panel (MR floats per k, alpha already folded in) times one packed B
/// micro-panel (NR values per k, float32 or bfloat16 widened exactly). Every element of C goes through the same chain on every path and tile shape:
/// c = (loadC ? c : 0), then c = MultiplyAdd(alpha * a_k, b_k, c) for k in order.
/// </summary>
internal static unsafe class MicroKernel
{
    /// <summary>The full MR-row tile of the path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RunFull<TVec, TPanel>(float* a, float* b, int kc, float* c, nint ldc, bool loadC)
        where TVec : struct, IVector<TVec> where TPanel : struct, IPanelFormat
    {
        if (GemmBlocking.Mr<TVec>() == 8) Run<TVec, Rows8, TPanel>(a, b, kc, c, ldc, loadC);
        else Run<TVec, Rows6, TPanel>(a, b, kc, c, ldc, loadC);
    }

    /// <summary>A tile of 1..MR rows (the bottom edge of C, or the few rows of a small-M product).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunRows<TVec, TPanel>(int rows, float* a, float* b, int kc, float* c, nint ldc, bool loadC)
        where TVec : struct, IVector<TVec> where TPanel : struct, IPanelFormat
    {
        switch (rows)
        {
            case 1: Run<TVec, Rows1, TPanel>(a, b, kc, c, ldc, loadC); break;
            case 2: Run<TVec, Rows2, TPanel>(a, b, kc, c, ldc, loadC); break;
            case 3: Run<TVec, Rows3, TPanel>(a, b, kc, c, ldc, loadC); break;
            case 4: Run<TVec, Rows4, TPanel>(a, b, kc, c, ldc, loadC); break;
            case 5: Run<TVec, Rows5, TPanel>(a, b, kc, c, ldc, loadC); break;
            case 6: Run<TVec, Rows6, TPanel>(a, b, kc, c, ldc, loadC); break;
            case 7: Run<TVec, Rows7, TPanel>(a, b, kc, c, ldc, loadC); break;
            default: Run<TVec, Rows8, TPanel>(a, b, kc, c, ldc, loadC); break;
        }
    }

    /// <summary>
    /// The B micro-panels <see cref="RunNarrowWide{TVec, TRows, TPanel}"/> takes at once for a tile of
    /// <paramref name="rows"/> rows: 4 for one row, 2 for two, else 1 (the ordinary kernel).
    /// </summary>
    public static int WidePanels(int rows) => rows == 1 ? 4 : rows == 2 ? 2 : 1;

    /// <summary>
    /// One or two rows of C times <see cref="WidePanels"/> consecutive B micro-panels (<paramref name="panelStride"/>
    /// words apart). A tile of one or two rows has only two or four accumulators, and their FMA chains (one FMA per k,
    /// each waiting for the last) would leave the FMA units idle most of the time; taking several panels at once gives
    /// eight independent chains. Unit u (0..3) is row u % rows times panel u / rows. Each element's chain is the one
    /// <see cref="Run{TVec, TRows, TPanel}"/> computes, so results do not depend on which kernel ran.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunNarrowWide<TVec, TRows, TPanel>(float* a, float* b, nint panelStride, int kc, float* c, nint ldc, bool loadC)
        where TVec : struct, IVector<TVec> where TRows : struct, IRowCount where TPanel : struct, IPanelFormat
    {
        int rows = TRows.Value;
        nint mr = GemmBlocking.Mr<TVec>(), nr = GemmBlocking.Nr<TVec>();
        nint line = TPanel.WordsPerLine<TVec>();
        // Units 1..3: (row 0, panel 1..3) for one row; (row 1, panel 0), (row 0, panel 1), (row 1, panel 1) for two.
        float* c1 = rows == 1 ? c + nr : c + ldc, c2 = c + nr, c3 = rows == 1 ? c + 2 * nr : c + ldc + nr;
        float* c4 = c + 3 * nr;
        TVec u00 = TVec.Zero, u01 = TVec.Zero, u10 = TVec.Zero, u11 = TVec.Zero, u20 = TVec.Zero, u21 = TVec.Zero, u30 = TVec.Zero, u31 = TVec.Zero;
        if (loadC)
        {
            LoadRow(c, ref u00, ref u01);
            LoadRow(c1, ref u10, ref u11);
            LoadRow(rows == 1 ? c3 : c2, ref u20, ref u21);
            LoadRow(rows == 1 ? c4 : c3, ref u30, ref u31);
        }

        for (int k = 0; k < kc; k++)
        {
            TVec first = TVec.Broadcast(a);
            TPanel.Load(b, out TVec b0, out TVec b1);
            u00 = TVec.MultiplyAdd(first, b0, u00);
            u01 = TVec.MultiplyAdd(first, b1, u01);
            if (rows == 1)
            {
                TPanel.Load(b + panelStride, out b0, out b1);
                u10 = TVec.MultiplyAdd(first, b0, u10);
                u11 = TVec.MultiplyAdd(first, b1, u11);
                TPanel.Load(b + 2 * panelStride, out b0, out b1);
                u20 = TVec.MultiplyAdd(first, b0, u20);
                u21 = TVec.MultiplyAdd(first, b1, u21);
                TPanel.Load(b + 3 * panelStride, out b0, out b1);
                u30 = TVec.MultiplyAdd(first, b0, u30);
                u31 = TVec.MultiplyAdd(first, b1, u31);
            }
            else
            {
                TVec second = TVec.Broadcast(a + 1);
                u10 = TVec.MultiplyAdd(second, b0, u10);
                u11 = TVec.MultiplyAdd(second, b1, u11);
                TPanel.Load(b + panelStride, out b0, out b1);
                u20 = TVec.MultiplyAdd(first, b0, u20);
                u21 = TVec.MultiplyAdd(first, b1, u21);
                u30 = TVec.MultiplyAdd(second, b0, u30);
                u31 = TVec.MultiplyAdd(second, b1, u31);
            }

            a += mr;
            b += line;
        }

        StoreRow(c, u00, u01);
        StoreRow(c1, u10, u11);
        StoreRow(rows == 1 ? c3 : c2, u20, u21);
        StoreRow(rows == 1 ? c4 : c3, u30, u31);
    }

    // Unused rows fold away: TRows.Value is a JIT-time constant, so the accumulators of a tile stay in registers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<TVec, TRows, TPanel>(float* a, float* b, int kc, float* c, nint ldc, bool loadC)
        where TVec : struct, IVector<TVec> where TRows : struct, IRowCount where TPanel : struct, IPanelFormat
    {
        int rows = TRows.Value;
        nint mr = GemmBlocking.Mr<TVec>();
        nint line = TPanel.WordsPerLine<TVec>();
        TVec c00 = TVec.Zero, c01 = TVec.Zero, c10 = TVec.Zero, c11 = TVec.Zero, c20 = TVec.Zero, c21 = TVec.Zero,
            c30 = TVec.Zero, c31 = TVec.Zero, c40 = TVec.Zero, c41 = TVec.Zero, c50 = TVec.Zero, c51 = TVec.Zero,
            c60 = TVec.Zero, c61 = TVec.Zero, c70 = TVec.Zero, c71 = TVec.Zero;
        if (loadC)
        {
            LoadRow(c, ref c00, ref c01);
            if (rows > 1) LoadRow(c + ldc, ref c10, ref c11);
            if (rows > 2) LoadRow(c + 2 * ldc, ref c20, ref c21);
            if (rows > 3) LoadRow(c + 3 * ldc, ref c30, ref c31);
            if (rows > 4) LoadRow(c + 4 * ldc, ref c40, ref c41);
            if (rows > 5) LoadRow(c + 5 * ldc, ref c50, ref c51);
            if (rows > 6) LoadRow(c + 6 * ldc, ref c60, ref c61);
            if (rows > 7) LoadRow(c + 7 * ldc, ref c70, ref c71);
        }

        // Two k per turn: half the loop overhead on the front end, which the 16-register paths fill with register moves.
        int k = 0;
        for (; k + 1 < kc; k += 2)
        {
            if (rows <= 4 && typeof(TPanel) == typeof(Float32Panel)) PrefetchAhead(b, 2 * line);
            Step<TVec, TRows, TPanel>(a, b, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51, ref c60, ref c61, ref c70, ref c71);
            Step<TVec, TRows, TPanel>(a + mr, b + line, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51, ref c60, ref c61, ref c70, ref c71);
            a += 2 * mr;
            b += 2 * line;
        }

        if (k < kc)
            Step<TVec, TRows, TPanel>(a, b, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51, ref c60, ref c61, ref c70, ref c71);

        StoreRow(c, c00, c01);
        if (rows > 1) StoreRow(c + ldc, c10, c11);
        if (rows > 2) StoreRow(c + 2 * ldc, c20, c21);
        if (rows > 3) StoreRow(c + 3 * ldc, c30, c31);
        if (rows > 4) StoreRow(c + 4 * ldc, c40, c41);
        if (rows > 5) StoreRow(c + 5 * ldc, c50, c51);
        if (rows > 6) StoreRow(c + 6 * ldc, c60, c61);
        if (rows > 7) StoreRow(c + 7 * ldc, c70, c71);
    }

    /// <summary>How far ahead in its B panel a tile of a few rows asks for lines (<see cref="PrefetchAhead"/>).</summary>
    private const int PrefetchDistance = 8192;

    private const int CacheLine = 64, FloatsPerCacheLine = CacheLine / sizeof(float);

    /// <summary>
    /// Asks the lines <see cref="PrefetchDistance"/> bytes past <paramref name="b"/> (as many as <paramref name="words"/>
    /// words cover) into L2. A tile of at most four rows reads its float32 B panel once, from L3 or memory (the small-batch
    /// step's W_hh): with only a few FMAs per line the out-of-order window holds too few lines in flight to cover that
    /// latency, and the hardware prefetcher does not run far enough ahead. Measured on Zen 3 (lstm-1024-b4): 1.40x at 1
    /// thread, 1.17x at 2 (4 KB ahead: 1.1x). Not in the one- and two-row kernel reading four or two panels at once
    /// (0.6-0.8x on lstm-512-b1), nor for bfloat16 panels (no gain).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchAhead(float* b, nint words)
    {
        if (!Sse.IsSupported) return;
        byte* ahead = (byte*)b + PrefetchDistance;
        Sse.Prefetch1(ahead);
        if (words > FloatsPerCacheLine) Sse.Prefetch1(ahead + CacheLine);
        if (words > 2 * FloatsPerCacheLine)
        {
            Sse.Prefetch1(ahead + 2 * CacheLine);
            Sse.Prefetch1(ahead + 3 * CacheLine);
        }
    }

    /// <summary>
    /// Asks for the C rows of the tile the next kernel call loads while this one computes: C beyond L2 (a large
    /// product's, or the gate pre-activations a step adds its recurrent product to) would arrive only after the tile's
    /// first FMAs wait for it, which the out-of-order window (a few dozen k) cannot hide. Measured on Zen 3
    /// (perf/compare-builds.sh, 5 rounds, 1 | 2 threads): sq-2048 1.03 | 1.02, lstm-512 forward 1.06 | 1.10, backward
    /// 1.09 | 1.06. A prefetch never faults: past the last row or column of C it asks for a line nobody reads.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PrefetchTile<TVec>(float* c, int rows, nint ldc) where TVec : struct, IVector<TVec>
    {
        if (!Sse.IsSupported) return;
        int nr = GemmBlocking.Nr<TVec>();
        for (int r = 0; r < rows; r++)
        {
            // Every line of the row's NR floats, wherever the row starts.
            for (int offset = 0; offset < nr; offset += FloatsPerCacheLine) Sse.Prefetch0(c + r * ldc + offset);
            Sse.Prefetch0(c + r * ldc + nr - 1);
        }
    }

    /// <summary>One k of the tile: the rows' accumulators += a[row] * b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<TVec, TRows, TPanel>(float* a, float* b, ref TVec c00, ref TVec c01, ref TVec c10, ref TVec c11, ref TVec c20, ref TVec c21,
        ref TVec c30, ref TVec c31, ref TVec c40, ref TVec c41, ref TVec c50, ref TVec c51, ref TVec c60, ref TVec c61, ref TVec c70, ref TVec c71)
        where TVec : struct, IVector<TVec> where TRows : struct, IRowCount where TPanel : struct, IPanelFormat
    {
        int rows = TRows.Value;
        TPanel.Load(b, out TVec b0, out TVec b1);
        Update(a, b0, b1, ref c00, ref c01);
        if (rows > 1) Update(a + 1, b0, b1, ref c10, ref c11);
        if (rows > 2) Update(a + 2, b0, b1, ref c20, ref c21);
        if (rows > 3) Update(a + 3, b0, b1, ref c30, ref c31);
        if (rows > 4) Update(a + 4, b0, b1, ref c40, ref c41);
        if (rows > 5) Update(a + 5, b0, b1, ref c50, ref c51);
        if (rows > 6) Update(a + 6, b0, b1, ref c60, ref c61);
        if (rows > 7) Update(a + 7, b0, b1, ref c70, ref c71);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update<TVec>(float* a, TVec b0, TVec b1, ref TVec c0, ref TVec c1) where TVec : struct, IVector<TVec>
    {
        TVec broadcast = TVec.Broadcast(a);
        c0 = TVec.MultiplyAdd(broadcast, b0, c0);
        c1 = TVec.MultiplyAdd(broadcast, b1, c1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadRow<TVec>(float* c, ref TVec c0, ref TVec c1) where TVec : struct, IVector<TVec>
    {
        c0 = TVec.Load(ref *c, 0);
        c1 = TVec.Load(ref *c, (nuint)TVec.Count);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<TVec>(float* c, TVec c0, TVec c1) where TVec : struct, IVector<TVec>
    {
        TVec.Store(c0, ref *c, 0);
        TVec.Store(c1, ref *c, (nuint)TVec.Count);
    }
}
