using System.Runtime.CompilerServices;
using SimdRnn.Vectors;


namespace SimdRnn.Sgemm;

/// <summary>
/// The register tile and cache block sizes of every path, in one place. Each member is a function of the vector
/// width only, so the JIT folds it to a constant in each width instantiation.
/// </summary>
/// <remarks>
/// MR x NR is the register tile: MR rows of C times two vectors of columns (NR = 2 W floats), MR * 2 accumulators.
/// KC bounds the depth of one pass (an NR-wide micro-panel of B, KC * NR floats, is reused from L1/L2 by every A panel);
/// MC x KC of packed A stays in L2; KC x NC of packed B stays in L3.
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
    public static int Kc<TVec>() where TVec : struct, IVector<TVec> => 512;

    /// <summary>Rows of C per packed A block (a multiple of MR).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Mc<TVec>() where TVec : struct, IVector<TVec> => 24 * Mr<TVec>();

    /// <summary>Columns of C per packed B block (a multiple of NR).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Nc<TVec>() where TVec : struct, IVector<TVec> => 4096;

    /// <summary>Up to this many rows of C, an unpacked B (not transposed) is streamed once instead of packed.</summary>
    public const int StreamingMaxRows = 4;

    /// <summary>The largest MR of any path (sizes the edge-tile stack buffer).</summary>
    public const int MaxMr = 8;

    /// <summary>The largest NR of any path (two 16-float vectors).</summary>
    public const int MaxNr = 32;
}
