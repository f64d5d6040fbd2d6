namespace SimdRnn.Tests.Hardening;

/// <summary>The weights of a small recurrent classifier (stack, then a linear layer over the top outputs), from a seed.</summary>
public sealed class TinyWeights
{
    public TinyWeights(CellKind cell, int seed, int input = 11, int hidden = 13, int classes = 7, int layers = 2, bool bidirectional = true)
    {
        Stack = new RecurrentStack(cell, input, hidden, layers, bidirectional);
        Rnn = Stack.CreateParameters();
        Classes = classes;
        Features = Stack.Directions * hidden;
        FcWeight = new float[classes * Features];
        FcBias = new float[classes];
        var random = new Random(seed);
        foreach (float[] values in new[] { Rnn.All, FcWeight, FcBias })
            for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() - 0.5) * 0.6f;
    }

    public RecurrentStack Stack { get; }
    public RecurrentParameters Rnn { get; }
    public float[] FcWeight { get; }
    public float[] FcBias { get; }
    public int Classes { get; }
    public int Features { get; }

    public IEnumerable<float[]> All => [Rnn.All, FcWeight, FcBias];
}

/// <summary>
/// One training pass of a <see cref="TinyWeights"/> model on its own data and buffers: stack forward (training),
/// linear, fused softmax cross-entropy, linear backward, stack backward; then, in <see cref="Update"/>, clipping by
/// global norm and Adam. Everything is allocated in the constructor; the weights may be shared (read-only) between
/// instances that only call <see cref="ForwardBackward"/>.
/// </summary>
public sealed class TinyModel
{
    private readonly TinyWeights _w;
    private readonly int _steps, _batch, _rows;
    private readonly float[] _x, _h0, _c0, _y, _hT, _cT, _workspace, _logits, _dy, _dx, _dh0, _dc0, _zeros;
    private readonly int[] _targets;
    private readonly RecurrentParameters _gradients, _m, _v;
    private readonly float[] _fcWeightGradient, _fcBiasGradient, _fcWeightM, _fcWeightV, _fcBiasM, _fcBiasV;
    private readonly Memory<float>[] _allGradients;

    public TinyModel(TinyWeights weights, int dataSeed, int steps = 6, int batch = 3)
    {
        _w = weights;
        _steps = steps;
        _batch = batch;
        _rows = steps * batch;
        RecurrentStack stack = weights.Stack;
        int states = stack.Layers * stack.Directions * batch * stack.HiddenSize;
        bool lstm = stack.Cell == CellKind.Lstm;
        var random = new Random(dataSeed);
        float[] Random(int count) => Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        _x = Random(_rows * stack.InputSize);
        _h0 = Random(states);
        _c0 = lstm ? Random(states) : [];
        _targets = Enumerable.Range(0, _rows).Select(_ => random.Next(weights.Classes)).ToArray();
        _y = new float[_rows * weights.Features];
        _hT = new float[states];
        _cT = new float[lstm ? states : 0];
        _workspace = new float[stack.WorkspaceLength(steps, batch)];
        _logits = new float[_rows * weights.Classes];
        _dy = new float[_y.Length];
        _dx = new float[_x.Length];
        _dh0 = new float[states];
        _dc0 = new float[_cT.Length];
        _zeros = new float[states];
        _gradients = stack.CreateParameters();
        _m = stack.CreateParameters();
        _v = stack.CreateParameters();
        _fcWeightGradient = new float[weights.FcWeight.Length];
        _fcBiasGradient = new float[weights.FcBias.Length];
        _fcWeightM = new float[weights.FcWeight.Length];
        _fcWeightV = new float[weights.FcWeight.Length];
        _fcBiasM = new float[weights.FcBias.Length];
        _fcBiasV = new float[weights.FcBias.Length];
        _allGradients = [_gradients.All, _fcWeightGradient, _fcBiasGradient];
    }

    public double Loss { get; private set; }

    /// <summary>Everything this pass wrote: outputs, states, the input gradients and the weight gradients.</summary>
    public IEnumerable<float[]> Results => [_y, _hT, _cT, _logits, _dy, _dx, _dh0, _dc0, _gradients.All, _fcWeightGradient, _fcBiasGradient];

    /// <summary>Loss and gradients for the current weights (the gradients are zeroed first).</summary>
    public void ForwardBackward()
    {
        RecurrentStack stack = _w.Stack;
        stack.Forward(_steps, _batch, _x, _h0, _c0, _w.Rnn, _y, _hT, _cT, _workspace, training: true);
        Linear.Forward(_rows, _w.Features, _w.Classes, _y, _w.FcWeight, _w.FcBias, _logits);
        Loss = SoftmaxCrossEntropy.ForwardBackward(_logits, _targets, _logits, _w.Classes, 1f / _rows) / _rows;
        foreach (Memory<float> gradient in _allGradients) gradient.Span.Clear();
        Linear.Backward(_rows, _w.Features, _w.Classes, _y, _w.FcWeight, _logits, _dy, _fcWeightGradient, _fcBiasGradient);
        stack.Backward(_steps, _batch, _x, _h0, _w.Rnn, _y, _dy, _zeros, stack.Cell == CellKind.Lstm ? _zeros : [], _dx, _dh0, _dc0, _gradients, _workspace);
    }

    /// <summary>Clip by global norm, then one Adam step on every weight.</summary>
    public void Update(int step)
    {
        GradientClipping.ClipByGlobalNorm(_allGradients, 1f);
        Optimizer.AdamStep(_w.Rnn.All, _gradients.All, _m.All, _v.All, step, 1e-2f);
        Optimizer.AdamStep(_w.FcWeight, _fcWeightGradient, _fcWeightM, _fcWeightV, step, 1e-2f);
        Optimizer.AdamStep(_w.FcBias, _fcBiasGradient, _fcBiasM, _fcBiasV, step, 1e-2f);
    }
}
