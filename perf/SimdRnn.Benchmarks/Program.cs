using BenchmarkDotNet.Running;

namespace SimdRnn.Benchmarks;

internal static class Program
{
    private static void Main(string[] args)
    {
        if (args is ["safetensors-load", .. string[] rest]) SafetensorsLoadTiming.Run(rest);
        else BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
