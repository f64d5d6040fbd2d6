using System.Globalization;
using System.Runtime.Intrinsics.X86;

namespace SimdRnn.Sgemm;

/// <summary>
/// The data cache sizes the CPU reports, which <see cref="GemmBlocking"/> sizes its blocks from: one core's L2 and the
/// L3 (0 where there is none). Read once per process: from CPUID on x86-64 (leaf 4 on Intel, 0x8000001D on AMD and
/// Hygon, where a hypervisor passes through what the host reports), else from Linux's
/// <c>/sys/devices/system/cpu/cpu0/cache</c> (ARM64), else <see cref="Fallback"/>.
/// </summary>
internal readonly record struct CacheSizes(long L2Bytes, long L3Bytes)
{
    /// <summary>Used where nothing is reported: the smallest L2 and L3 of the x86-64 cores the kernels were tuned on (Zen 3).</summary>
    public static CacheSizes Fallback => new(512 * 1024, 32L << 20);

    public static CacheSizes Detected { get; } = Detect(static () => X86Base.IsSupported
        ? FromCpuid(X86Base.CpuId)
        : FromSysfs("/sys/devices/system/cpu/cpu0/cache"));

    /// <summary>What <paramref name="read"/> reports if it reports an L2, else <see cref="Fallback"/> (also when reading fails).</summary>
    internal static CacheSizes Detect(Func<CacheSizes?> read)
    {
        try
        {
            return read() is { L2Bytes: > 0 } sizes ? sizes : Fallback;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return Fallback;
        }
    }

    /// <summary>The L2 and L3 from CPUID (<paramref name="cpuid"/>: leaf, sub-leaf -> eax, ebx, ecx, edx); null where the
    /// CPU has no cache leaf.</summary>
    internal static CacheSizes? FromCpuid(Func<int, int, (int Eax, int Ebx, int Ecx, int Edx)> cpuid)
    {
        (_, int ebx, int ecx, int edx) = cpuid(0, 0);
        bool intel = ebx == 0x756E6547 && edx == 0x49656E69 && ecx == 0x6C65746E; // "GenuineIntel"
        int leaf = 4;
        if (!intel)
        {
            uint maxExtended = (uint)cpuid(ExtendedLeaves, 0).Eax;
            if (maxExtended < unchecked((uint)AmdCacheLeaf)) return null;
            leaf = AmdCacheLeaf;
        }

        long l2 = 0, l3 = 0;
        for (int index = 0; index < MaxCacheSubleaves; index++)
        {
            var (eax, b, c, _) = cpuid(leaf, index);
            var (level, bytes) = DecodeCacheLeaf(eax, b, c);
            if (level == 0) break;
            if (level == 2) l2 = bytes;
            else if (level == 3) l3 = bytes;
        }

        return new CacheSizes(l2, l3);
    }

    internal const int ExtendedLeaves = unchecked((int)0x80000000), AmdCacheLeaf = unchecked((int)0x8000001D);

    /// <summary>Sub-leaves read at most (caches listed before the level-0 end).</summary>
    internal const int MaxCacheSubleaves = 16;

    /// <summary>
    /// One sub-leaf of CPUID's deterministic cache parameters (Intel leaf 4, AMD 0x8000001D, the same format): the level
    /// of a data or unified cache and its size, ways x partitions x line x sets; level 0 ends the list, and an
    /// instruction cache gives level -1.
    /// </summary>
    internal static (int Level, long Bytes) DecodeCacheLeaf(int eax, int ebx, int ecx)
    {
        int type = eax & 0x1F;
        if (type == 0) return (0, 0);
        if (type == 2) return (-1, 0);
        long ways = ((ebx >>> 22) & 0x3FF) + 1, partitions = ((ebx >>> 12) & 0x3FF) + 1, line = (ebx & 0xFFF) + 1;
        long sets = (uint)ecx + 1L;
        return ((eax >>> 5) & 0x7, ways * partitions * line * sets);
    }

    /// <summary>Linux's cache description: each <c>indexN</c> directory has a <c>level</c>, a <c>type</c> and a <c>size</c>.</summary>
    internal static CacheSizes? FromSysfs(string directory)
    {
        if (!Directory.Exists(directory)) return null;
        long l2 = 0, l3 = 0;
        foreach (var index in Directory.EnumerateDirectories(directory, "index*"))
        {
            string type = File.ReadAllText(Path.Combine(index, "type")).Trim();
            if (type == "Instruction") continue;
            int level = int.Parse(File.ReadAllText(Path.Combine(index, "level")).Trim(), CultureInfo.InvariantCulture);
            long bytes = ParseSysfsSize(File.ReadAllText(Path.Combine(index, "size")));
            if (level == 2) l2 = bytes;
            else if (level == 3) l3 = bytes;
        }

        return new CacheSizes(l2, l3);
    }

    /// <summary>A sysfs cache size: a number of bytes with an optional K, M or G suffix ("512K", "32768K", "1M").</summary>
    internal static long ParseSysfsSize(string text)
    {
        text = text.Trim();
        long unit = text.Length > 0 ? char.ToUpperInvariant(text[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1 } : 1;
        string digits = unit == 1 ? text : text[..^1];
        return checked(long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture) * unit);
    }
}
