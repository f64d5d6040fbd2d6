namespace SimdRnn.Cli;

/// <summary>
/// One gemm row of native-compare/problems.tsv: C[M,N] = op(A) * B with alpha = 1, beta = 0, row-major, dense; op(A)
/// = A^T (A stored K x M) where the table says a_transposed. perf/SimdRnn.Benchmarks links this file.
/// </summary>
internal sealed record GemmProblem(string Id, int M, int N, int K, MatrixOp OpA, string Origin)
{
    public static IReadOnlyList<GemmProblem> All => ProblemTable.Embedded.Gemm;

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
