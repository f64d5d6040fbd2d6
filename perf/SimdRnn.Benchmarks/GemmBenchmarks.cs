using BenchmarkDotNet.Attributes;
using SimdRnn.Cli;

namespace SimdRnn.Benchmarks;

/// <summary>SGEMM on the gemm problems of native-compare/problems.tsv at 1 and 2 threads (alpha = 1, beta = 0).</summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private GemmOperandSet _operands = null!;

    public static IEnumerable<string> Problems => GemmProblem.All.Select(problem => problem.Id);

    [ParamsSource(nameof(Problems))]
    public string Problem { get; set; } = "";

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup() => _operands = GemmProblem.Find(Problem)!.CreateOperands();

    [Benchmark]
    public void Sgemm() => _operands.Run(Threads);
}
