namespace SimdRnn.Tests.Support;

/// <summary>The paths a test can run in this process: the selected one and every narrower one.</summary>
public static class TestPaths
{
    public static IReadOnlyList<SimdPath> InProcess { get; } = Cpu.Path switch
    {
        SimdPath.Avx512 => [SimdPath.Avx512, SimdPath.Avx2, SimdPath.Vector128, SimdPath.Scalar],
        SimdPath.Avx2 => [SimdPath.Avx2, SimdPath.Vector128, SimdPath.Scalar],
        SimdPath.AdvSimd => [SimdPath.AdvSimd, SimdPath.Scalar],
        SimdPath.Vector128 => [SimdPath.Vector128, SimdPath.Scalar],
        _ => [SimdPath.Scalar],
    };

    public static TheoryData<SimdPath> All
    {
        get
        {
            var data = new TheoryData<SimdPath>();
            foreach (SimdPath path in InProcess) data.Add(path);
            return data;
        }
    }
}
