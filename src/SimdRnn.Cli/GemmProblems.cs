namespace SimdRnn.Cli;

/// <summary>
/// One GEMM problem of ../shared/PROBLEMS.md: C[M,N] = op(A) * B with alpha = 1, beta = 0, row-major, dense.
/// This file is the one table of them; perf/SimdRnn.Benchmarks links it.
/// </summary>
internal sealed record GemmProblem(string Id, int M, int N, int K, MatrixOp OpA)
{
    public static IReadOnlyList<GemmProblem> All { get; } =
    [
        new("sq-1024", 1024, 1024, 1024, MatrixOp.None),
        new("sq-2048", 2048, 2048, 2048, MatrixOp.None),
        new("recur-512", 64, 2048, 512, MatrixOp.None),
        new("inproj-512", 1600, 2048, 512, MatrixOp.None),
        // The weight gradient dG^T X: A is given transposed (stored K x M).
        new("dweight-512", 512, 2048, 1600, MatrixOp.Transpose),
        new("skinny-1", 1, 4096, 1024, MatrixOp.None),
    ];

    public double Flops => 2.0 * M * N * K;

    public static GemmProblem? Find(string id) => All.FirstOrDefault(problem => problem.Id == id);

    /// <summary>The timed call (harness <c>simdrnn-gemm</c>).</summary>
    public IReadOnlyList<BenchCase> Cases(int threads)
    {
        GemmOperandSet operands = CreateOperands();
        return [new("simdrnn-gemm", Flops, () => operands.Run(threads))];
    }

    /// <summary>Operands filled with reproducible values in [-1, 1); C starts as NaN (beta = 0 must ignore it).</summary>
    public GemmOperandSet CreateOperands() => new(this);
}

/// <summary>The dense operands of one <see cref="GemmProblem"/> and the call that is timed.</summary>
internal sealed class GemmOperandSet
{
    private readonly GemmProblem _problem;
    private readonly float[] _a, _b, _c;

    public GemmOperandSet(GemmProblem problem)
    {
        _problem = problem;
        var random = new Random(20240229);
        _a = Fill(random, (long)problem.M * problem.K);
        _b = Fill(random, (long)problem.K * problem.N);
        _c = new float[(long)problem.M * problem.N];
        _c.AsSpan().Fill(float.NaN);
    }

    public void Run(int threads)
    {
        GemmProblem p = _problem;
        int lda = p.OpA == MatrixOp.None ? p.K : p.M;
        Gemm.Multiply(p.OpA, MatrixOp.None, p.M, p.N, p.K, 1f, _a, lda, _b, p.N, 0f, _c, p.N, threads);
    }

    private static float[] Fill(Random random, long length)
    {
        var values = new float[length];
        for (long i = 0; i < length; i++) values[i] = random.NextSingle() * 2f - 1f;
        return values;
    }
}
