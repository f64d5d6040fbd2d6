using System.Runtime.Intrinsics;

namespace SimdRnn.Tests;

public class PathSelectionTests
{
    /// <summary>Each CI leg sets SIMDRNN_EXPECT_PATH, so that a renamed runtime switch cannot silently retest the default path.</summary>
    [Fact]
    [Trait("Category", "Kernel")]
    public void Selected_path_is_the_one_the_environment_expects()
    {
        string? expected = Environment.GetEnvironmentVariable("SIMDRNN_EXPECT_PATH");
        Assert.SkipWhen(string.IsNullOrEmpty(expected), "SIMDRNN_EXPECT_PATH is not set");
        Assert.Equal(Enum.Parse<SimdPath>(expected!, ignoreCase: true), Cpu.Path);
    }

    [Fact]
    public void Path_agrees_with_what_the_runtime_accelerates()
    {
        Assert.Equal(Cpu.Path == SimdPath.Avx512, Vector512.IsHardwareAccelerated && Cpu.Path == SimdPath.Avx512);
        if (Cpu.Path != SimdPath.Scalar) Assert.True(Vector128.IsHardwareAccelerated);
        Assert.Equal(Cpu.Path switch { SimdPath.Avx512 => 16, SimdPath.Avx2 => 8, SimdPath.Scalar => 1, _ => 4 }, Cpu.VectorWidth);
        Assert.False(string.IsNullOrWhiteSpace(Cpu.Features));
    }
}
