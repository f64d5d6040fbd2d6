using SimdRnn.Sgemm;

namespace SimdRnn.Tests.Sgemm;

/// <summary>
/// The cache sizes the GEMM blocks are derived from: CPUID's deterministic cache leaf and Linux's sysfs decoded as
/// documented, the two agreeing on this machine, and MC / NC from them.
/// </summary>
public class CacheSizesTests
{
    [Theory]
    // type 3 (unified) at level 2: 8 ways x 1 partition x 64 B lines x 1024 sets = 512 KB (Zen 3's L2).
    [InlineData(0x43, (7 << 22) | 63, 1023, 2, 512L * 1024)]
    // level 3, 16 ways x 2 partitions x 64 B x 16384 sets = 32 MB; type 1 (data) at level 1: 12 ways x 64 B x 64 sets.
    [InlineData(0x63, (15 << 22) | (1 << 12) | 63, 16383, 3, 32L << 20)]
    [InlineData(0x21, (11 << 22) | 63, 63, 1, 48L * 1024)]
    // an instruction cache is not a data cache; type 0 ends the list.
    [InlineData(0x22, (7 << 22) | 63, 63, -1, 0L)]
    [InlineData(0x40, (7 << 22) | 63, 1023, 0, 0L)]
    public void Cpuid_cache_leaf_decodes_level_and_size(int eax, int ebx, int ecx, int level, long bytes) =>
        Assert.Equal((level, bytes), CacheSizes.DecodeCacheLeaf(eax, ebx, ecx));

    [Fact]
    public void Cpuid_cache_leaf_reads_the_set_count_unsigned() =>
        Assert.Equal((2, 64L * (1L << 32)), CacheSizes.DecodeCacheLeaf(0x43, 63, -1));

    [Theory]
    [InlineData("512K\n", 512L * 1024)]
    [InlineData("32768K", 32L << 20)]
    [InlineData("2M", 2L << 20)]
    [InlineData("1G", 1L << 30)]
    [InlineData(" 4096 ", 4096L)]
    public void Sysfs_sizes_parse_with_their_unit(string text, long bytes) => Assert.Equal(bytes, CacheSizes.ParseSysfsSize(text));

    [Fact]
    public void Sysfs_sizes_beyond_a_long_throw_overflow_exceptions() =>
        Assert.Throws<OverflowException>(() => CacheSizes.ParseSysfsSize("9223372036854775807K"));

    [Theory]
    [InlineData("")]
    [InlineData("K")]
    [InlineData("-1K")]
    [InlineData("12Q")]
    public void Malformed_sysfs_sizes_throw_format_exceptions(string text) =>
        Assert.Throws<FormatException>(() => CacheSizes.ParseSysfsSize(text));

    [Fact]
    public void Sysfs_description_gives_the_data_caches_of_levels_2_and_3() => WithSysfsDirectory(root =>
    {
        WriteIndex(root, 0, 1, "Data", "48K");
        WriteIndex(root, 1, 1, "Instruction", "32K");
        WriteIndex(root, 2, 2, "Unified", "2048K");
        WriteIndex(root, 3, 3, "Unified", "260M");
        // Linux's cache directory also holds entries that are not caches.
        Directory.CreateDirectory(Path.Combine(root, "power"));
        File.WriteAllText(Path.Combine(root, "uevent"), "");
        Assert.Equal(new CacheSizes(2L << 20, 260L << 20), CacheSizes.FromSysfs(root));
        Assert.Null(CacheSizes.FromSysfs(Path.Combine(root, "missing")));
    });

    [Fact]
    public void Sysfs_instruction_caches_are_skipped_at_every_level() => WithSysfsDirectory(root =>
    {
        WriteIndex(root, 0, 2, "Instruction", "64K");
        WriteIndex(root, 1, 3, "Unified", "8M");
        Assert.Equal(new CacheSizes(0, 8L << 20), CacheSizes.FromSysfs(root));
    });

    private static void WithSysfsDirectory(Action<string> test)
    {
        string root = Directory.CreateTempSubdirectory("simdrnn-cache-").FullName;
        try
        {
            test(root);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    // Vendor strings as CPUID leaf 0 returns them: ebx, edx, ecx hold 4 characters each.
    private const int Genu = 0x756E6547, IneI = 0x49656E69, Ntel = 0x6C65746E, Auth = 0x68747541, Enti = 0x69746E65, CAmd = 0x444D4163;

    // Sub-leaf words: a unified cache of the level, 1 way x 1 partition x 64 B lines x (sets) sets.
    private static (int, int, int, int) Unified(int level, int sets) => (3 | (level << 5), 63, sets - 1, 0);

    /// <summary>A CPU for <see cref="CacheSizes.FromCpuid"/>: leaf 0's vendor, the top extended leaf, and the cache
    /// list of both cache leaves (Intel's 4 lists a 64 KB L2, AMD's 0x8000001D a 128 KB one), then past its end more
    /// sub-leaves that must not be read.</summary>
    private static Func<int, int, (int, int, int, int)> FakeCpu(int ebx, int edx, int ecx, uint maxExtended, int listed = 3) =>
        (leaf, subleaf) =>
        {
            if (leaf == 0) return (0x10, ebx, ecx, edx);
            if (leaf == CacheSizes.ExtendedLeaves) return ((int)maxExtended, 0, 0, 0);
            Assert.True(leaf == 4 || leaf == CacheSizes.AmdCacheLeaf, $"leaf {leaf:X}");
            Assert.InRange(subleaf, 0, CacheSizes.MaxCacheSubleaves - 1);
            int l2Sets = leaf == 4 ? 1024 : 2048;
            if (subleaf < listed - 1) return subleaf == 0 ? Unified(2, l2Sets) : Unified(3, 16384); // 1 MB L3
            if (subleaf == listed - 1) return (0, 0, 0, 0); // the end of the list
            return Unified(2, 4); // past the end: garbage
        };

    [Fact]
    public void Cpuid_reads_intel_leaf_4_and_amd_leaf_8000001D_until_the_end_of_the_list()
    {
        Assert.Equal(new CacheSizes(64 * 1024, 1L << 20), CacheSizes.FromCpuid(FakeCpu(Genu, IneI, Ntel, 0x80000008)));
        Assert.Equal(new CacheSizes(128 * 1024, 1L << 20), CacheSizes.FromCpuid(FakeCpu(Auth, Enti, CAmd, 0x80000023)));
        Assert.Equal(new CacheSizes(128 * 1024, 1L << 20), CacheSizes.FromCpuid(FakeCpu(Auth, Enti, CAmd, 0x8000001D)));
        // Not Intel unless all three words match.
        Assert.Equal(new CacheSizes(128 * 1024, 1L << 20), CacheSizes.FromCpuid(FakeCpu(Genu, Enti, Ntel, 0x80000023)));
        Assert.Equal(new CacheSizes(128 * 1024, 1L << 20), CacheSizes.FromCpuid(FakeCpu(Auth, IneI, Ntel, 0x80000023)));
        Assert.Equal(new CacheSizes(128 * 1024, 1L << 20), CacheSizes.FromCpuid(FakeCpu(Genu, IneI, CAmd, 0x80000023)));
        // A CPU whose extended leaves stop before the cache leaf reports nothing.
        Assert.Null(CacheSizes.FromCpuid(FakeCpu(Auth, Enti, CAmd, 0x8000001C)));
        // A list that never ends is read for MaxCacheSubleaves sub-leaves only (the last of them a 1 MB L3).
        Assert.Equal(new CacheSizes(128 * 1024, 1L << 20), CacheSizes.FromCpuid(FakeCpu(Auth, Enti, CAmd, 0x80000023, listed: 99)));
    }

    [Fact]
    public void Detection_falls_back_to_zen_3_sizes_when_nothing_is_reported_or_reading_fails()
    {
        var zen3 = new CacheSizes(512 * 1024, 32L << 20);
        Assert.Equal(zen3, CacheSizes.Fallback);
        Assert.Equal(new CacheSizes(1L << 20, 0), CacheSizes.Detect(() => new CacheSizes(1L << 20, 0)));
        Assert.Equal(zen3, CacheSizes.Detect(() => null));
        Assert.Equal(zen3, CacheSizes.Detect(() => new CacheSizes(0, 8L << 20)));
        Assert.Equal(zen3, CacheSizes.Detect(() => throw new IOException()));
        Assert.Equal(zen3, CacheSizes.Detect(() => throw new UnauthorizedAccessException()));
        Assert.Equal(zen3, CacheSizes.Detect(() => throw new FormatException()));
        Assert.Equal(zen3, CacheSizes.Detect(() => throw new OverflowException()));
        Assert.Throws<InvalidOperationException>(() => CacheSizes.Detect(() => throw new InvalidOperationException()));
    }

    [Fact]
    public void Detected_sizes_are_what_linux_reports_on_this_machine()
    {
        const string sysfs = "/sys/devices/system/cpu/cpu0/cache";
        var detected = CacheSizes.Detected;
        Assert.InRange(detected.L2Bytes, 64 * 1024, 1L << 30);
        // On x86-64 the sizes come from CPUID; Linux derives its description from the same leaves, so where both exist they
        // agree. Elsewhere (ARM64) they come from Linux's description itself.
        if (OperatingSystem.IsLinux() && CacheSizes.FromSysfs(sysfs) is { L2Bytes: > 0 } linux)
            Assert.Equal(linux, detected);
    }

    [Theory]
    [InlineData(512L * 1024, 6, 144)] // Zen 3, Avx2: 288 KB
    [InlineData(512L * 1024, 8, 144)]
    [InlineData(1L << 20, 8, 288)] // Zen 5
    [InlineData(1L << 20, 6, 288)]
    [InlineData(2L << 20, 8, 512)] // Emerald Rapids: at most 64 MR panels
    [InlineData(640L * 1024, 6, 180)]
    [InlineData(64L * 1024, 6, 24)] // small L2: at least 4 MR panels
    [InlineData(0L, 8, 32)]
    [InlineData(64L << 20, 6, 384)]
    public void Mc_takes_nine_sixteenths_of_the_l2_in_whole_row_panels(long l2, int mr, int mc) => Assert.Equal(mc, GemmBlocking.McFor(l2, mr));

    [Theory]
    [InlineData(32L << 20, 16, 4096)] // a quarter of 32 MB is 4096 columns of depth 512
    [InlineData(4L << 20, 32, 512)]
    [InlineData(5L << 20, 32, 640)]
    [InlineData(1L << 20, 16, 128)] // at least 8 NR panels
    [InlineData(256L * 1024, 16, 128)]
    [InlineData(0L, 16, 4096)] // no L3
    [InlineData(1L << 30, 32, 4096)]
    public void Nc_takes_a_quarter_of_the_l3_in_whole_column_panels(long l3, int nr, int nc) => Assert.Equal(nc, GemmBlocking.NcFor(l3, nr));

    private static void WriteIndex(string root, int index, int level, string type, string size)
    {
        string directory = Directory.CreateDirectory(Path.Combine(root, $"index{index}")).FullName;
        File.WriteAllText(Path.Combine(directory, "level"), $"{level}\n");
        File.WriteAllText(Path.Combine(directory, "type"), $"{type}\n");
        File.WriteAllText(Path.Combine(directory, "size"), $"{size}\n");
    }
}
