using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace SimdRnn.Benchmarks;

/// <summary>SimdRnn's activations side by side with System.Numerics.Tensors' TensorPrimitives (the baseline).</summary>
[MemoryDiagnoser]
public class ActivationBenchmarks
{
    private float[] _x = [];
    private float[] _y = [];

    [Params(4096, 1 << 20)]
    public int Length { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _x = new float[Length];
        _y = new float[Length];
        for (int i = 0; i < Length; i++) _x[i] = (float)(random.NextDouble() * 16 - 8);
    }

    [Benchmark(Baseline = true)] public void TensorPrimitivesTanh() => TensorPrimitives.Tanh(_x, _y);
    [Benchmark] public void SimdRnnTanh() => Activation.Tanh(_x, _y);
    [Benchmark] public void TensorPrimitivesSigmoid() => TensorPrimitives.Sigmoid(_x, _y);
    [Benchmark] public void SimdRnnSigmoid() => Activation.Sigmoid(_x, _y);
    [Benchmark] public void SimdRnnRelu() => Activation.Relu(_x, _y);
}
