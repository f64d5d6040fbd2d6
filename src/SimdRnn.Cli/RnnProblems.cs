namespace SimdRnn.Cli;

/// <summary>What an RNN problem times (native-compare/PROBLEMS.md).</summary>
internal enum RnnMode
{
    /// <summary>Forward in training mode, backward alone, and both.</summary>
    Train,

    /// <summary>Forward inference on weights prepared once.</summary>
    Infer,

    /// <summary>Inference one step per call on weights prepared once, the state carried from call to call.</summary>
    Stream,
}

/// <summary>
/// One rnn row of native-compare/problems.tsv: one layer, unidirectional, time-major, fp32.
/// </summary>
/// <param name="Projection">An LSTM's projected hidden size P (column P; <see cref="RecurrentStackOptions.ProjectionSize"/>), 0 for none.</param>
/// <param name="LinearBeforeReset">A GRU's form: false for cell <c>gru-reset-first</c> (<see cref="RecurrentStackOptions.LinearBeforeReset"/>).</param>
internal sealed record RnnProblem(string Id, CellKind Cell, int Input, int Hidden, int Batch, int Steps, RnnMode Mode, string Origin,
    int Projection = 0, bool LinearBeforeReset = true)
{
    public static IReadOnlyList<RnnProblem> All => ProblemTable.Embedded.Rnn;

    public static RnnProblem? Find(string id) => All.FirstOrDefault(problem => problem.Id == id);

    /// <summary>S, the width of the hidden state, of y and of the recurrent input: P with a projection, else H.</summary>
    public int StateSize => Projection > 0 ? Projection : Hidden;

    /// <summary>The options of the problem's <see cref="RecurrentStack"/>: its projection and GRU form.</summary>
    public RecurrentStackOptions StackOptions => new() { ProjectionSize = Projection, LinearBeforeReset = LinearBeforeReset };

    /// <summary>
    /// The GEMM flops of one forward (native-compare/PROBLEMS.md): 2 T N (G H (I + S) + P H): G gates of H rows over the
    /// input and the recurrent state of width S (<see cref="StateSize"/>), and with a projection the P x H product
    /// h_t = W_hr m_t of every step (P = 0 without). Backward has two products of the same size for each (2x).
    /// </summary>
    public double ForwardFlops => 2.0 * Steps * Batch * ((double)Gates * Hidden * (Input + StateSize) + (double)Projection * Hidden);

    private int Gates => Cell switch
    {
        CellKind.Lstm => 4,
        CellKind.Gru => 3,
        _ => 1,
    };

    /// <summary>
    /// The timed calls: for train problems fwd, bwd, train (= fwd + bwd) on the parameters and train-prepared (what a
    /// trainer does per optimizer step with prepared weights: refresh, fwd, bwd); infer for infer problems; stream for
    /// stream problems (one call = one step); the last two also with bfloat16 weights (-bf16), each beside the time
    /// just to read the weights that a call must read (read-bound, <see cref="WeightReadBound"/>).
    /// Train problems also time train-varlen: fwd + bwd of a variable-length batch (<see cref="VariableLengths"/>), its
    /// flops those of the valid steps.
    /// </summary>
    public IReadOnlyList<BenchCase> Cases(int threads)
    {
        RnnOperandSet operands = CreateOperands(threads);
        return Mode switch
        {
            RnnMode.Infer =>
            [
                new("simdrnn-infer", ForwardFlops, operands.Infer), new("simdrnn-infer-bf16", ForwardFlops, operands.InferBFloat16),
                ReadBound("read-bound", 1, threads), ReadBound("read-bound-bf16", 2, threads),
            ],
            RnnMode.Stream =>
            [
                new("simdrnn-stream", ForwardFlops, operands.StreamStep), new("simdrnn-stream-bf16", ForwardFlops, operands.StreamStepBFloat16),
                ReadBound("read-bound", 1, threads), ReadBound("read-bound-bf16", 2, threads),
            ],
            _ =>
            [
                new("simdrnn-fwd", ForwardFlops, operands.TrainingForward),
                // Backward uses up what the forward kept, so every timed backward follows its own (untimed) forward.
                new("simdrnn-bwd", 2 * ForwardFlops, operands.Backward, Prepare: operands.TrainingForward),
                new("simdrnn-train", 3 * ForwardFlops, operands.Train),
                new("simdrnn-train-prepared", 3 * ForwardFlops, operands.TrainPrepared),
                new("simdrnn-train-varlen", 3 * ForwardFlops * VariableLengths.Sum() / ((double)Steps * Batch), operands.TrainVariableLengths),
            ],
        };
    }

    /// <summary>The time to read the weights an inference call must read (<see cref="WeightReadBound"/>), stored
    /// <paramref name="weightsPerWord"/> to a 4-byte word.</summary>
    private BenchCase ReadBound(string harness, int weightsPerWord, int threads)
    {
        long gateRows = (long)Gates * Hidden;
        long recurrentWeights = gateRows * StateSize + (long)Projection * Hidden; // W_hh and W_hr, read every step
        var bound = new WeightReadBound(gateRows * Input / weightsPerWord, recurrentWeights / weightsPerWord, Steps, threads);
        return new BenchCase(harness, ForwardFlops, bound.Read);
    }

    /// <summary>Reproducible operands for this problem's mode, weights prepared once (not timed).</summary>
    public RnnOperandSet CreateOperands(int threads) => new(this, threads);

    /// <summary>
    /// The lengths of the variable-length rows: spread evenly over [ceil(T/2), T] across the batch (row 0 the shortest,
    /// the last row T), so the valid steps are about 3/4 of the dense T x N.
    /// </summary>
    public int[] VariableLengths
    {
        get
        {
            int shortest = (Steps + 1) / 2;
            return [.. Enumerable.Range(0, Batch).Select(n => Batch == 1 ? Steps : shortest + (int)((long)n * (Steps - shortest) / (Batch - 1)))];
        }
    }
}

/// <summary>
/// The buffers of one <see cref="RnnProblem"/>: reproducible inputs and weights, the weights prepared once, the
/// workspace its mode needs, and for train problems the gradients.
/// </summary>
internal sealed class RnnOperandSet
{
    private readonly RnnProblem _problem;
    private readonly RecurrentStack _stack;
    private readonly RecurrentParameters _parameters, _gradients;
    private readonly PreparedWeights _prepared;
    private readonly PreparedWeights? _preparedBFloat16;
    private readonly float[] _x, _y, _dy, _dhT, _dcT, _dx, _dh0, _dc0, _workspace;
    private readonly int[] _lengths;

    // The state: a stream step reads h0 (c0) and writes hT (cT), then the two swap, so the next step starts where this
    // one ended without a copy (an output may not share memory with an input).
    private float[] _h0, _c0, _hT, _cT;

    public RnnOperandSet(RnnProblem problem, int threads)
    {
        _problem = problem;
        _stack = new RecurrentStack(problem.Cell, problem.Input, problem.Hidden, options: problem.StackOptions) { MaxDegreeOfParallelism = threads };
        _parameters = _stack.CreateParameters();
        var random = new Random(20240229);
        // Weights of PyTorch's initial scale, so that the activations do not saturate.
        Fill(random, _parameters.All, 1f / MathF.Sqrt(problem.Hidden));
        bool training = problem.Mode == RnnMode.Train;
        _prepared = _stack.Prepare(_parameters, training);
        _preparedBFloat16 = training ? null : _stack.Prepare(_parameters, format: WeightFormat.BFloat16);
        // h is S wide (P with a projection), c is H wide.
        int rows = problem.Steps * problem.Batch, state = problem.Batch * problem.StateSize, cellState = problem.Batch * problem.Hidden;
        bool lstm = problem.Cell == CellKind.Lstm;
        _x = Fill(random, new float[rows * problem.Input], 1f);
        _h0 = Fill(random, new float[state], 0.5f);
        _c0 = lstm ? Fill(random, new float[cellState], 0.5f) : [];
        _y = new float[rows * problem.StateSize];
        _hT = new float[state];
        _cT = lstm ? new float[cellState] : [];
        // The parameters overloads need the larger training workspace (with room to pack W_hh); prepared calls fit in it.
        // Train problems also run variable lengths, whose workspace holds the dense one's layout and the packed sequence after it.
        _workspace = new float[training
            ? _stack.WorkspaceLength(problem.Steps, problem.Batch, training: true, variableLengths: true)
            : _stack.WorkspaceLength(problem.Steps, problem.Batch, training: false, preparedWeights: true)];
        _lengths = training ? problem.VariableLengths : [];
        _gradients = _stack.CreateParameters();
        _dy = training ? Fill(random, new float[rows * problem.StateSize], 1f) : [];
        _dhT = training ? Fill(random, new float[state], 1f) : [];
        _dcT = training && lstm ? Fill(random, new float[cellState], 1f) : [];
        _dx = training ? new float[rows * problem.Input] : [];
        _dh0 = training ? new float[state] : [];
        _dc0 = training && lstm ? new float[cellState] : [];
    }

    /// <summary>The hidden state a call starts from (after a stream step: the state it ended with).</summary>
    public ReadOnlySpan<float> Hidden => _h0;

    /// <summary>LSTM: the cell state a call starts from, as <see cref="Hidden"/>; empty otherwise.</summary>
    public ReadOnlySpan<float> CellState => _c0;

    /// <summary>The input of every call: T x N x I.</summary>
    public ReadOnlySpan<float> Input => _x;

    /// <summary>The output of the last call: T x N x S (<see cref="RnnProblem.StateSize"/>).</summary>
    public ReadOnlySpan<float> Output => _y;

    /// <summary>The parameters the weights were prepared from.</summary>
    public RecurrentParameters Parameters => _parameters;

    /// <summary>Replaces the weights (another framework's, to compare outputs) in <see cref="Parameters"/>' layout, and prepares them again.</summary>
    public void LoadWeights(ReadOnlySpan<float> weights)
    {
        if (weights.Length != _parameters.All.Length)
            throw new InvalidDataException($"{_problem.Id}: {weights.Length} weights, not the {_parameters.All.Length} of the layer");
        weights.CopyTo(_parameters.All);
        _prepared.Refresh();
        _preparedBFloat16?.Refresh();
    }

    /// <summary>A training forward on the parameters (packs W_hh per call), keeping what <see cref="Backward"/> needs.</summary>
    public void TrainingForward() =>
        _stack.Forward(_problem.Steps, _problem.Batch, _x, _h0, _c0, _parameters, _y, _hT, _cT, _workspace, training: true);

    /// <summary>BPTT on the parameters after <see cref="TrainingForward"/>; adds into the gradients.</summary>
    public void Backward() =>
        _stack.Backward(_problem.Steps, _problem.Batch, _x, _h0, _parameters, _y, _dy, _dhT, _dcT, _dx, _dh0, _dc0, _gradients, _workspace);

    public void Train()
    {
        TrainingForward();
        Backward();
    }

    /// <summary>A training forward and backward of the variable-length batch (<see cref="RnnProblem.VariableLengths"/>).</summary>
    public void TrainVariableLengths()
    {
        _stack.Forward(_problem.Steps, _problem.Batch, _x, _h0, _c0, _parameters, _y, _hT, _cT, _workspace, training: true, _lengths);
        _stack.Backward(_problem.Steps, _problem.Batch, _x, _h0, _parameters, _y, _dy, _dhT, _dcT, _dx, _dh0, _dc0, _gradients, _workspace, _lengths);
    }

    /// <summary>One training step's share of the layer with prepared weights: a trainer refreshes them after every
    /// optimizer step, so the refresh is part of the step.</summary>
    public void TrainPrepared()
    {
        _prepared.Refresh();
        _stack.Forward(_problem.Steps, _problem.Batch, _x, _h0, _c0, _prepared, _y, _hT, _cT, _workspace, training: true);
        _stack.Backward(_problem.Steps, _problem.Batch, _x, _h0, _prepared, _y, _dy, _dhT, _dcT, _dx, _dh0, _dc0, _gradients, _workspace);
    }

    /// <summary>An inference forward on the prepared weights, from the same initial state every call.</summary>
    public void Infer() => Infer(_prepared);

    /// <summary><see cref="Infer()"/> on the weights prepared as bfloat16.</summary>
    public void InferBFloat16() => Infer(_preparedBFloat16 ?? throw new InvalidOperationException("bfloat16 weights are prepared for inference problems only"));

    /// <summary>An inference forward on the prepared weights that carries the state on: hT (cT) of this call is h0 (c0) of the next.</summary>
    public void StreamStep() => StreamStep(_prepared);

    /// <summary><see cref="StreamStep()"/> on the weights prepared as bfloat16.</summary>
    public void StreamStepBFloat16() =>
        StreamStep(_preparedBFloat16 ?? throw new InvalidOperationException("bfloat16 weights are prepared for inference problems only"));

    private void Infer(PreparedWeights weights) =>
        _stack.Forward(_problem.Steps, _problem.Batch, _x, _h0, _c0, weights, _y, _hT, _cT, _workspace, training: false);

    private void StreamStep(PreparedWeights weights)
    {
        Infer(weights);
        (_h0, _hT) = (_hT, _h0);
        (_c0, _cT) = (_cT, _c0);
    }

    private static float[] Fill(Random random, float[] values, float scale)
    {
        for (int i = 0; i < values.Length; i++) values[i] = (random.NextSingle() * 2f - 1f) * scale;
        return values;
    }
}
