using BenchmarkDotNet.Attributes;
using SimdRnn.Cli;

namespace SimdRnn.Benchmarks;

/// <summary>
/// The rnn problems of native-compare/problems.tsv of one mode at 1 and 2 threads, on the operands and calls that
/// `simdrnn bench` times; <see cref="MemoryDiagnoser"/> shows that a steady call allocates nothing.
/// </summary>
[MemoryDiagnoser]
public abstract class RnnBenchmarks
{
    /// <summary>The ids of this suite's mode, in table order (an instance member: BenchmarkDotNet reads it on the derived type).</summary>
    public IEnumerable<string> Problems => RnnProblem.All.Where(problem => problem.Mode == Mode).Select(problem => problem.Id);

    [ParamsSource(nameof(Problems))]
    public string Problem { get; set; } = "";

    [Params(1, 2)]
    public int Threads { get; set; }

    private protected abstract RnnMode Mode { get; }

    private protected RnnOperandSet Operands { get; private set; } = null!;

    [GlobalSetup]
    public void Setup() => Operands = RnnProblem.Find(Problem)!.CreateOperands(Threads);
}

/// <summary>Train problems: a training forward and its backward on the parameters.</summary>
public class RnnTrainBenchmarks : RnnBenchmarks
{
    private protected override RnnMode Mode => RnnMode.Train;

    [Benchmark]
    public void ForwardBackward() => Operands.Train();
}

/// <summary>Infer problems: an inference forward on weights prepared once.</summary>
public class RnnInferBenchmarks : RnnBenchmarks
{
    private protected override RnnMode Mode => RnnMode.Infer;

    [Benchmark]
    public void Forward() => Operands.Infer();
}

/// <summary>Stream problems: one step on weights prepared once, the state carried to the next call.</summary>
public class RnnStreamBenchmarks : RnnBenchmarks
{
    private protected override RnnMode Mode => RnnMode.Stream;

    [Benchmark]
    public void Step() => Operands.StreamStep();
}
