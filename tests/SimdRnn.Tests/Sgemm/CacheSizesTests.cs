using System.Runtime.Intrinsics.X86;
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

    [Theory]
    [InlineData("")]
    [InlineData("K")]
    [InlineData("-1K")]
    [InlineData("12Q")]
    public void Malformed_sysfs_sizes_throw_format_exceptions(string text) =>
        Assert.Throws<FormatException>(() => CacheSizes.ParseSysfsSize(text));

    [Fact]
    public void Sysfs_description_gives_the_data_caches_of_levels_2_and_3()
    {
        string root = Directory.CreateTempSubdirectory("simdrnn-cache-").FullName;
        try
        {
            WriteIndex(root, 0, 1, "Data", "48K");
            WriteIndex(root, 1, 1, "Instruction", "32K");
            WriteIndex(root, 2, 2, "Unified", "2048K");
            WriteIndex(root, 3, 3, "Unified", "260M");
            Assert.Equal(new CacheSizes(2L << 20, 260L << 20), CacheSizes.FromSysfs(root));
            Assert.Null(CacheSizes.FromSysfs(Path.Combine(root, "missing")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Detected_sizes_are_what_linux_reports_on_this_machine()
    {
        const string sysfs = "/sys/devices/system/cpu/cpu0/cache";
        var detected = CacheSizes.Detected;
        Assert.InRange(detected.L2Bytes, 64 * 1024, 1L << 30);
        // On x86-64 the sizes come from CPUID; Linux derives its description from the same leaves, so where both exist they agree.
        if (X86Base.IsSupported && OperatingSystem.IsLinux() && CacheSizes.FromSysfs(sysfs) is { L2Bytes: > 0 } linux)
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
