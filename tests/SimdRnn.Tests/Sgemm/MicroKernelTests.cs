using SimdRnn.Sgemm;
using SimdRnn.Tests.Support;
using SimdRnn.Vectors;

namespace SimdRnn.Tests.Sgemm;

/// <summary>
/// The register-tile kernels called directly, on every vector width (AVX-512's included: Vector512 runs in software
/// where the CPU lacks it, so its 7- and 8-row tiles are checked on any machine) and both panel formats: each element
/// of the tile is bitwise the documented chain c = (loadC ? c : +0), then c = MultiplyAdd(a_k, b_k, c) for k in order
/// (computed here one lane at a time with the width's own MultiplyAdd), and nothing outside the tile's rows and NR-wide
/// panels is written. Every value the kernel must not read (A past the tile's rows or past kc, B past kc or between
/// panels, C when loadC is false) is NaN, so a read of it shows in the result; C ends at the tile's last element, right
/// before an inaccessible page, so a load past the tile's rows crashes.
/// </summary>
[Trait("Category", "Kernel")]
public class MicroKernelTests
{
    private static readonly int[] Depths = [1, 2, 3, 8, 13];
    private const float Sentinel = -7777.5f;

    [Fact]
    public void Tiles_of_every_row_count_compute_the_documented_chain_on_every_width() => ForEachWidth(new TileCheck());

    [Fact]
    public void One_and_two_row_tiles_over_several_panels_compute_the_documented_chain_on_every_width() => ForEachWidth(new WideCheck());

    [Fact]
    public void Wide_panels_are_four_for_one_row_two_for_two_rows_else_one()
    {
        Assert.Equal(4, MicroKernel.WidePanels(1));
        Assert.Equal(2, MicroKernel.WidePanels(2));
        for (int rows = 3; rows <= GemmBlocking.MaxMr; rows++) Assert.Equal(1, MicroKernel.WidePanels(rows));
    }

    private interface ICheck
    {
        void Run<TVec, TPanel>() where TVec : struct, IVector<TVec> where TPanel : struct, IPanelFormat;
    }

    private static void ForEachWidth<TCheck>(TCheck check) where TCheck : ICheck
    {
        check.Run<Vec1, Float32Panel>();
        check.Run<Vec1, BFloat16Panel>();
        check.Run<Vec128, Float32Panel>();
        check.Run<Vec128, BFloat16Panel>();
        check.Run<Vec256, Float32Panel>();
        check.Run<Vec256, BFloat16Panel>();
        check.Run<Vec512, Float32Panel>();
        check.Run<Vec512, BFloat16Panel>();
    }

    private readonly struct TileCheck : ICheck
    {
        public unsafe void Run<TVec, TPanel>() where TVec : struct, IVector<TVec> where TPanel : struct, IPanelFormat
        {
            int mr = GemmBlocking.Mr<TVec>();
            var random = new Random(mr * 100 + TVec.Count);
            foreach (int kc in Depths)
                foreach (bool loadC in new[] { false, true })
                {
                    for (int rows = 1; rows <= mr; rows++)
                    {
                        var tile = new TileData<TVec, TPanel>(random, rows, kc, panels: 1, loadC);
                        fixed (float* a = tile.A, b = tile.B)
                        using (GuardPageMemory<float> c = tile.GuardedC())
                        {
                            MicroKernel.RunRows<TVec, TPanel>(rows, a, b, kc, c.Start + tile.Origin, tile.Ldc, loadC);
                            tile.Collect(c);
                        }

                        tile.AssertChain($"RunRows rows={rows}");
                    }

                    var full = new TileData<TVec, TPanel>(random, mr, kc, panels: 1, loadC);
                    fixed (float* a = full.A, b = full.B)
                    using (GuardPageMemory<float> c = full.GuardedC())
                    {
                        MicroKernel.RunFull<TVec, TPanel>(a, b, kc, c.Start + full.Origin, full.Ldc, loadC);
                        full.Collect(c);
                    }

                    full.AssertChain("RunFull");
                }
        }
    }

    private readonly struct WideCheck : ICheck
    {
        public void Run<TVec, TPanel>() where TVec : struct, IVector<TVec> where TPanel : struct, IPanelFormat
        {
            var random = new Random(7 + TVec.Count);
            foreach (int kc in Depths)
                foreach (bool loadC in new[] { false, true })
                {
                    Check<TVec, TPanel, Rows1>(random, kc, loadC);
                    Check<TVec, TPanel, Rows2>(random, kc, loadC);
                }
        }

        private static unsafe void Check<TVec, TPanel, TRows>(Random random, int kc, bool loadC)
            where TVec : struct, IVector<TVec> where TPanel : struct, IPanelFormat where TRows : struct, IRowCount
        {
            var tile = new TileData<TVec, TPanel>(random, TRows.Value, kc, MicroKernel.WidePanels(TRows.Value), loadC);
            fixed (float* a = tile.A, b = tile.B)
            using (GuardPageMemory<float> c = tile.GuardedC())
            {
                MicroKernel.RunNarrowWide<TVec, TRows, TPanel>(a, b, tile.PanelStride, kc, c.Start + tile.Origin, tile.Ldc, loadC);
                tile.Collect(c);
            }

            tile.AssertChain($"RunNarrowWide rows={TRows.Value}");
        }
    }

    /// <summary>
    /// One tile's operands: an A micro-panel (MR values per k, NaN past the tile's rows and past kc), <paramref name="panels"/>
    /// B micro-panels of kc lines each, one NaN line apart (and NaN after the last), and C with a sentinel row above and
    /// below the tile and sentinel columns past its panels; C's tile holds NaN when it must not be read.
    /// </summary>
    private sealed class TileData<TVec, TPanel> where TVec : struct, IVector<TVec> where TPanel : struct, IPanelFormat
    {
        private readonly int _rows, _kc, _panels, _mr, _nr;
        private readonly bool _loadC;
        private readonly float[] _initialC;
        private readonly float[,,] _bValues; // [panel, k, column of the panel]

        public TileData(Random random, int rows, int kc, int panels, bool loadC)
        {
            (_rows, _kc, _panels, _loadC) = (rows, kc, panels, loadC);
            _mr = GemmBlocking.Mr<TVec>();
            _nr = GemmBlocking.Nr<TVec>();
            int line = TPanel.WordsPerLine<TVec>(), width = TVec.Count;

            A = new float[(kc + 1) * _mr];
            A.AsSpan().Fill(float.NaN);
            for (int k = 0; k < kc; k++)
                for (int r = 0; r < rows; r++) A[k * _mr + r] = Value(random);

            PanelStride = (kc + 1) * line;
            B = new float[panels * PanelStride + line];
            B.AsSpan().Fill(float.NaN);
            _bValues = new float[panels, kc, _nr];
            bool bfloat16 = typeof(TPanel) == typeof(BFloat16Panel);
            for (int p = 0; p < panels; p++)
                for (int k = 0; k < kc; k++)
                    for (int j = 0; j < _nr; j++)
                    {
                        float value = Value(random);
                        if (bfloat16) value = BFloat16Panel.Widen(BFloat16Panel.Round(value));
                        _bValues[p, k, j] = value;
                    }

            for (int p = 0; p < panels; p++)
                for (int k = 0; k < kc; k++)
                {
                    int start = p * PanelStride + k * line;
                    if (!bfloat16)
                    {
                        for (int j = 0; j < _nr; j++) B[start + j] = _bValues[p, k, j];
                        continue;
                    }

                    for (int i = 0; i < width; i++)
                        B[start + i] = BitConverter.UInt32BitsToSingle(
                            BFloat16Panel.Round(_bValues[p, k, i]) | (uint)BFloat16Panel.Round(_bValues[p, k, width + i]) << 16);
                }

            Ldc = panels * _nr + 3;
            Origin = Ldc;
            C = new float[(rows + 2) * Ldc];
            C.AsSpan().Fill(Sentinel);
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < panels * _nr; j++) C[Origin + r * Ldc + j] = loadC ? Value(random) : float.NaN;
            _initialC = (float[])C.Clone();
        }

        public float[] A { get; }
        public float[] B { get; }
        public float[] C { get; }
        public int Ldc { get; }
        public int PanelStride { get; }

        /// <summary>Where the tile starts in <see cref="C"/> (after one sentinel row).</summary>
        public int Origin { get; }

        /// <summary>
        /// <see cref="C"/> up to the tile's last element, in memory followed by an inaccessible page: the kernel runs on it,
        /// so reading (or writing) past the tile's last row crashes the test.
        /// </summary>
        public GuardPageMemory<float> GuardedC() =>
            GuardPageMemory<float>.CopyOf(C.AsSpan(0, Origin + (_rows - 1) * Ldc + _panels * _nr), GuardSide.After);

        /// <summary>Copies what the kernel left in <paramref name="guarded"/> back into <see cref="C"/> (the rest keeps its sentinels).</summary>
        public void Collect(GuardPageMemory<float> guarded) => guarded.GetSpan().CopyTo(C);

        public void AssertChain(string kernel)
        {
            string what = $"W={TVec.Count} {typeof(TPanel).Name} {kernel} kc={_kc} loadC={_loadC}";
            for (int index = 0; index < C.Length; index++)
            {
                int row = index / Ldc - 1, column = index % Ldc;
                bool inTile = row >= 0 && row < _rows && column < _panels * _nr;
                float expected = inTile ? Chain(row, column) : _initialC[index];
                if (BitConverter.SingleToInt32Bits(expected) != BitConverter.SingleToInt32Bits(C[index]))
                    Assert.Fail(inTile
                        ? $"{what}: C[{row},{column}] = {C[index]:R}, the chain gives {expected:R}"
                        : $"{what}: wrote {C[index]:R} outside the tile (row {row}, column {column})");
            }
        }

        private float Chain(int row, int column)
        {
            Span<float> lanes = stackalloc float[TVec.Count];
            TVec sum = _loadC ? TVec.Create(_initialC[Origin + row * Ldc + column]) : TVec.Zero;
            for (int k = 0; k < _kc; k++)
                sum = TVec.MultiplyAdd(TVec.Create(A[k * _mr + row]), TVec.Create(_bValues[column / _nr, k, column % _nr]), sum);
            TVec.Store(sum, ref lanes[0], 0);
            return lanes[0];
        }

        /// <summary>Values in [-2, 2) with full mantissas, so that a fused and an unfused multiply-add differ now and then.</summary>
        private static float Value(Random random) => random.NextSingle() * 4f - 2f;
    }
}
