using System.Runtime.CompilerServices;
using SimdRnn.Vectors;


namespace SimdRnn.Sgemm;

/// <summary>
/// The register tile and cache block sizes of every path, in one place. Each member is a function of the vector
/// width and the CPU's caches only, so the JIT folds it to a constant in each width instantiation.
/// </summary>
/// <remarks>
/// MC and NC come from the cache sizes the CPU reports (<see cref="CacheSizes"/>); results do not depend on them (nor
/// on anything here but KC, which the packed layout fixes): every element of C is one chain over k in order, and a
/// block boundary only stores and reloads the partial sum exactly.
/// MR x NR is the register tile: MR rows of C times two vectors of columns (NR = 2 W floats), MR * 2 accumulators.
/// KC bounds the depth of one pass (an NR-wide micro-panel of B, KC * NR floats, is reused from L1/L2 by every A panel);
/// MC x KC of packed A stays in L2; KC x NC of packed B in L3.
/// </remarks>
// The kernels are marked AggressiveOptimization: a product called a few times (or the first steps of a
// sequence) would otherwise run tier-0 code, about ten times slower, until tiering catches up.
internal static class GemmBlocking
{
    /// <summary>Rows of the register tile. AVX-512 has 32 registers: 8 x 2 accumulators (12 x 2 measured no faster on
    /// Zen 5, and 64-row batches divide by 8); 16-register ISAs: 6 x 2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Mr<TVec>() where TVec : struct, IVector<TVec> => TVec.Count == 16 ? 8 : 6;

    /// <summary>Columns of the register tile: two vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Nr<TVec>() where TVec : struct, IVector<TVec> => 2 * TVec.Count;

    /// <summary>
    /// Depth of one pass. Packed matrices are blocked by it too, so it must not depend on anything but the width.
    /// 512 rather than 256 (whose B micro-panel fits L1): half the passes over C, measured +5% on inproj-512 and
    /// sq-2048 at 2 threads on Zen 5 (the micro-panel streams from L2 well enough).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Kc<TVec>() where TVec : struct, IVector<TVec> => KcFloats;

    /// <summary>Rows of C per packed A block (a multiple of MR): <see cref="McFor"/> of this CPU's L2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Mc<TVec>() where TVec : struct, IVector<TVec> => Mr<TVec>() == 8 ? McOf8 : McOf6;

    /// <summary>Columns of C per packed B block: <see cref="NcFor"/> of this CPU's L3 in panels of the widest NR, so a
    /// multiple of every path's NR (a packed B block starts at a whole panel).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Nc<TVec>() where TVec : struct, IVector<TVec> => NcOfEveryPath;

    private static readonly int McOf8 = McFor(CacheSizes.Detected.L2Bytes, 8), McOf6 = McFor(CacheSizes.Detected.L2Bytes, 6);
    private static readonly int NcOfEveryPath = NcFor(CacheSizes.Detected.L3Bytes, MaxNr);

    /// <summary>
    /// The packed A block (MC x KC floats) takes 9/16 of one core's L2 and stays there while every B micro-panel of a
    /// block passes it; the rest holds that micro-panel and the C tiles. On Zen 3's 512 KB that is 144 rows, the fastest
    /// of 126, 144 and 192 measured there (perf/compare-builds.sh, 2026-11-27); 288 on a 1 MB L2 (Zen 5), 512 on 2 MB
    /// (Emerald Rapids). 4 to 64 MR panels.
    /// </summary>
    internal static int McFor(long l2Bytes, int mr)
    {
        long rows = l2Bytes / 16 * 9 / (KcFloats * sizeof(float));
        return (int)Math.Clamp(rows / mr * mr, 4 * mr, 64 * mr);
    }

    /// <summary>
    /// The packed B block (KC x NC floats) takes a quarter of the L3 (which other cores and the operands share), up to
    /// 4096 columns (8 MB, a per-thread buffer), and 4096 where no L3 is reported. At least 8 NR panels.
    /// </summary>
    internal static int NcFor(long l3Bytes, int nr)
    {
        long columns = l3Bytes > 0 ? l3Bytes / 4 / (KcFloats * sizeof(float)) : 4096;
        return (int)Math.Clamp(columns / nr * nr, 8 * nr, 4096);
    }

    /// <summary>KC of every width (see <see cref="Kc{TVec}"/>).</summary>
    private const int KcFloats = 512;

    /// <summary>Up to this many rows of C, an unpacked B (not transposed) is streamed once instead of packed.</summary>
    public const int StreamingMaxRows = 4;

    /// <summary>The largest MR of any path (sizes the edge-tile stack buffer).</summary>
    public const int MaxMr = 8;

    /// <summary>The largest NR of any path (two 16-float vectors).</summary>
    public const int MaxNr = 32;
}
