using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace SimdRnn;

/// <summary>The instruction-set path that SimdRnn's kernels take in this process.</summary>
public enum SimdPath
{
    /// <summary>Plain scalar code: no hardware intrinsics are available or they are switched off.</summary>
    Scalar,

    /// <summary>Portable 128-bit vectors (e.g. SSE4 without FMA); multiply-adds may be unfused.</summary>
    Vector128,

    /// <summary>ARM64 AdvSimd (NEON), 128-bit vectors with fused multiply-add.</summary>
    AdvSimd,

    /// <summary>x86-64 AVX2 with FMA, 256-bit vectors.</summary>
    Avx2,

    /// <summary>x86-64 AVX-512 (F, BW, DQ, VL), 512-bit vectors.</summary>
    Avx512,
}

/// <summary>
/// Read-only information about the CPU and the <see cref="SimdPath"/> chosen for it. The path is decided
/// once per process from what the runtime reports as hardware accelerated, so the .NET switches
/// <c>DOTNET_EnableAVX512=0</c>, <c>DOTNET_EnableAVX2=0</c> and <c>DOTNET_EnableHWIntrinsic=0</c> select the
/// lower paths.
/// </summary>
public static class Cpu
{
    /// <summary>The path every kernel of this process takes.</summary>
    public static SimdPath Path { get; } = DetectPath();

    /// <summary>How many single-precision values one vector of <see cref="Path"/> holds (1 for scalar).</summary>
    public static int VectorWidth => WidthOf(Path);

    /// <summary>The instruction-set extensions the runtime reports as supported, space separated.</summary>
    public static string Features { get; } = DescribeFeatures();

    internal static int WidthOf(SimdPath path) => path switch
    {
        SimdPath.Avx512 => 16,
        SimdPath.Avx2 => 8,
        SimdPath.Vector128 or SimdPath.AdvSimd => 4,
        _ => 1,
    };

    private static SimdPath DetectPath()
    {
        // Guard 512-bit code on Vector512.IsHardwareAccelerated (not only Avx512F.IsSupported) so that
        // DOTNET_PreferredVectorBitWidth and CPUs that throttle on 512-bit code both fall back to AVX2.
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Avx512F.VL.IsSupported)
            return SimdPath.Avx512;
        if (Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported)
            return SimdPath.Avx2;
        if (AdvSimd.Arm64.IsSupported && Vector128.IsHardwareAccelerated)
            return SimdPath.AdvSimd;
        if (Vector128.IsHardwareAccelerated)
            return SimdPath.Vector128;
        return SimdPath.Scalar;
    }

    private static string DescribeFeatures()
    {
        var names = new List<string>();
        void Add(bool supported, string name)
        {
            if (supported) names.Add(name);
        }

        Add(Sse2.IsSupported, "sse2");
        Add(Sse41.IsSupported, "sse4.1");
        Add(Sse42.IsSupported, "sse4.2");
        Add(Avx.IsSupported, "avx");
        Add(Avx2.IsSupported, "avx2");
        Add(Fma.IsSupported, "fma");
        Add(Avx512F.IsSupported, "avx512f");
        Add(Avx512BW.IsSupported, "avx512bw");
        Add(Avx512DQ.IsSupported, "avx512dq");
        Add(Avx512F.VL.IsSupported, "avx512vl");
        Add(AdvSimd.IsSupported, "advsimd");
        Add(AdvSimd.Arm64.IsSupported, "advsimd.arm64");
        Add(Vector128.IsHardwareAccelerated, "vector128");
        Add(Vector256.IsHardwareAccelerated, "vector256");
        Add(Vector512.IsHardwareAccelerated, "vector512");
        return names.Count == 0 ? "(none)" : string.Join(' ', names);
    }
}
