namespace SimdRnn.Cli;

/// <summary>What an RNN problem times (native-compare/PROBLEMS.md).</summary>
internal enum RnnMode
{
    /// <summary>Forward in training mode, backward alone, and both.</summary>
    Train,

    /// <summary>Forward inference.</summary>
    Infer,

    /// <summary>Inference one step per call on prepared weights, state carried between calls: not runnable yet.</summary>
    Stream,
}

/// <summary>
/// One rnn row of native-compare/problems.tsv: one layer, unidirectional, time-major, fp32.
/// </summary>
internal sealed record RnnProblem(string Id, CellKind Cell, int Input, int Hidden, int Batch, int Steps, RnnMode Mode, string Origin)
{
    public static IReadOnlyList<RnnProblem> All => ProblemTable.Embedded.Rnn;

    /// <summary>Why <see cref="Cases"/> cannot time this problem yet, or null if it can.</summary>
    public string? NotRunnableReason => Mode == RnnMode.Stream
        ? "mode stream (one step per call on prepared weights, state carried between calls) is not supported yet"
        : null;

    public static RnnProblem? Find(string id) => All.FirstOrDefault(problem => problem.Id == id);

    /// <summary>The timed calls: fwd, bwd and train (= fwd + bwd) for train problems, infer for infer problems.</summary>
    public IReadOnlyList<BenchCase> Cases(int threads)
    {
        if (NotRunnableReason is { } reason) throw new NotSupportedException($"{Id}: {reason}");
        var operands = new RnnOperandSet(this, threads);
        double forwardFlops = operands.ForwardFlops;
        if (Mode == RnnMode.Infer) return [new("simdrnn-infer", forwardFlops, () => operands.Forward(training: false))];
        return
        [
            new("simdrnn-fwd", forwardFlops, () => operands.Forward(training: true)),
            // Backward uses up what the forward kept, so every timed backward follows its own (untimed) forward.
            new("simdrnn-bwd", 2 * forwardFlops, operands.Backward, Prepare: () => operands.Forward(training: true)),
            new("simdrnn-train", 3 * forwardFlops, () =>
            {
                operands.Forward(training: true);
                operands.Backward();
            }),
        ];
    }
}

/// <summary>The buffers of one <see cref="RnnProblem"/>: reproducible inputs and weights, workspace and gradients.</summary>
internal sealed class RnnOperandSet
{
    private readonly RnnProblem _problem;
    private readonly RecurrentStack _stack;
    private readonly RecurrentParameters _parameters, _gradients;
    private readonly float[] _x, _h0, _c0, _y, _hT, _cT, _dy, _dhT, _dcT, _dx, _dh0, _dc0, _workspace;

    public RnnOperandSet(RnnProblem problem, int threads)
    {
        _problem = problem;
        _stack = new RecurrentStack(problem.Cell, problem.Input, problem.Hidden) { MaxDegreeOfParallelism = threads };
        _parameters = _stack.CreateParameters();
        _gradients = _stack.CreateParameters();
        var random = new Random(20240229);
        // Weights of PyTorch's initial scale, so that the activations do not saturate.
        Fill(random, _parameters.All, 1f / MathF.Sqrt(problem.Hidden));
        int rows = problem.Steps * problem.Batch, state = problem.Batch * problem.Hidden;
        bool lstm = problem.Cell == CellKind.Lstm;
        _x = Fill(random, new float[rows * problem.Input], 1f);
        _h0 = Fill(random, new float[state], 0.5f);
        _c0 = lstm ? Fill(random, new float[state], 0.5f) : [];
        _y = new float[rows * problem.Hidden];
        _hT = new float[state];
        _cT = lstm ? new float[state] : [];
        _dy = Fill(random, new float[rows * problem.Hidden], 1f);
        _dhT = Fill(random, new float[state], 1f);
        _dcT = lstm ? Fill(random, new float[state], 1f) : [];
        _dx = new float[rows * problem.Input];
        _dh0 = new float[state];
        _dc0 = lstm ? new float[state] : [];
        _workspace = new float[_stack.WorkspaceLength(problem.Steps, problem.Batch)];
    }

    /// <summary>The GEMM flops of one forward, 2 T N G H (I + H), from the weight sizes.</summary>
    public double ForwardFlops =>
        2.0 * _problem.Steps * _problem.Batch * (_parameters["weight_ih_l0"].Length + _parameters["weight_hh_l0"].Length);

    public void Forward(bool training) =>
        _stack.Forward(_problem.Steps, _problem.Batch, _x, _h0, _c0, _parameters, _y, _hT, _cT, _workspace, training);

    public void Backward() =>
        _stack.Backward(_problem.Steps, _problem.Batch, _x, _h0, _parameters, _y, _dy, _dhT, _dcT, _dx, _dh0, _dc0, _gradients, _workspace);

    private static float[] Fill(Random random, float[] values, float scale)
    {
        for (int i = 0; i < values.Length; i++) values[i] = (random.NextSingle() * 2f - 1f) * scale;
        return values;
    }
}
