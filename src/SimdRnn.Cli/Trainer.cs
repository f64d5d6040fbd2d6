namespace SimdRnn.Cli;

/// <summary>The buffers and the step of truncated-BPTT training: all allocated once, reused every step.</summary>
internal sealed class Trainer
{
    private readonly CharModel _model;
    private readonly int _steps, _batch, _vocabulary, _hidden;
    private readonly float[] _x, _y, _hT, _cT, _h0, _c0, _logits, _dy, _dh0, _dc0, _workspace, _zeros, _mask, _yDropped;
    private readonly float _dropout;
    private ulong _random;
    private readonly int[] _targets;
    private readonly RecurrentParameters _gradients, _m, _v;
    private readonly float[] _fcWeightGradient, _fcBiasGradient, _fcWeightM, _fcWeightV, _fcBiasM, _fcBiasV;
    private readonly Memory<float>[] _allGradients;

    /// <param name="dropout">The probability of zeroing an LSTM output before the linear layer in training (0: none).</param>
    /// <param name="seed">Seeds the dropout masks.</param>
    public Trainer(CharModel model, int steps, int batch, float dropout = 0f, int seed = 1)
    {
        _dropout = dropout;
        _random = 0x9E3779B97F4A7C15UL ^ (ulong)seed;
        (_model, _steps, _batch, _vocabulary, _hidden) = (model, steps, batch, model.Vocabulary, model.Hidden);
        int rows = steps * batch, state = model.StateLength(batch);
        _x = new float[rows * _vocabulary];
        _targets = new int[rows];
        _y = new float[rows * _hidden];
        _dy = new float[rows * _hidden];
        _mask = dropout > 0 ? new float[rows * _hidden] : [];
        _yDropped = dropout > 0 ? new float[rows * _hidden] : _y;
        _logits = new float[rows * _vocabulary];
        (_h0, _c0, _hT, _cT, _dh0, _dc0, _zeros) = (new float[state], new float[state], new float[state], new float[state], new float[state], new float[state], new float[state]);
        _workspace = new float[model.Stack.WorkspaceLength(steps, batch)];
        (_gradients, _m, _v) = (model.Stack.CreateParameters(), model.Stack.CreateParameters(), model.Stack.CreateParameters());
        (_fcWeightGradient, _fcWeightM, _fcWeightV) = (new float[model.FcWeight.Length], new float[model.FcWeight.Length], new float[model.FcWeight.Length]);
        (_fcBiasGradient, _fcBiasM, _fcBiasV) = (new float[_vocabulary], new float[_vocabulary], new float[_vocabulary]);
        _allGradients = [_gradients.All, _fcWeightGradient, _fcBiasGradient];
        // Forward GEMM work is 2 * rows * (every weight matrix's size): the recurrent layers' W_ih and W_hh, and fc;
        // backward twice that, less the gradient of the one-hot input, which is not computed.
        long weights = model.Rnn.Names.Where(name => name.StartsWith("weight_", StringComparison.Ordinal)).Sum(name => (long)model.Rnn[name].Length);
        FlopsPerStep = 2.0 * rows * (3 * (weights + model.FcWeight.Length) - model.Rnn["weight_ih_l0"].Length);
    }

    /// <summary>The GEMM FLOP count of one training step (forward + backward, 3x forward less the skipped input gradient).</summary>
    public double FlopsPerStep { get; }

    public void ResetState()
    {
        Array.Clear(_h0);
        Array.Clear(_c0);
    }

    /// <summary>One step on the chunk at <paramref name="position"/> of every stream; carries the state; returns the mean loss.</summary>
    public double TrainStep(ReadOnlySpan<int> text, int streamLength, int position, int step, float learningRate, float clip)
    {
        Fill(text, streamLength, position);
        RecurrentStack stack = _model.Stack;
        int rows = _steps * _batch;
        stack.Forward(_steps, _batch, _x, _h0, _c0, _model.Rnn, _y, _hT, _cT, _workspace, training: true);
        if (_dropout > 0) ApplyDropout();
        Linear.Forward(rows, _hidden, _vocabulary, _yDropped, _model.FcWeight, _model.FcBias, _logits);
        double loss = SoftmaxCrossEntropy.ForwardBackward(_logits, _targets, _logits, _vocabulary, 1f / rows) / rows;

        Array.Clear(_gradients.All);
        Array.Clear(_fcWeightGradient);
        Array.Clear(_fcBiasGradient);
        Linear.Backward(rows, _hidden, _vocabulary, _yDropped, _model.FcWeight, _logits, _dy, _fcWeightGradient, _fcBiasGradient);
        if (_dropout > 0)
            for (int i = 0; i < _dy.Length; i++) _dy[i] *= _mask[i];
        // Truncated BPTT: no gradient flows in from beyond the chunk. The one-hot input needs no gradient (empty dx).
        stack.Backward(_steps, _batch, _x, _h0, _model.Rnn, _y, _dy, _zeros, _zeros, [], _dh0, _dc0, _gradients, _workspace);
        GradientClipping.ClipByGlobalNorm(_allGradients, clip);
        Optimizer.AdamStep(_model.Rnn.All, _gradients.All, _m.All, _v.All, step, learningRate);
        Optimizer.AdamStep(_model.FcWeight, _fcWeightGradient, _fcWeightM, _fcWeightV, step, learningRate);
        Optimizer.AdamStep(_model.FcBias, _fcBiasGradient, _fcBiasM, _fcBiasV, step, learningRate);
        _hT.CopyTo(_h0, 0);
        _cT.CopyTo(_c0, 0);
        return loss;
    }

    /// <summary>Mean loss per character over (a prefix of) <paramref name="text"/>, as parallel streams with carried state.</summary>
    public double Evaluate(ReadOnlySpan<int> text, int maxCharacters)
    {
        int length = Math.Min(text.Length, maxCharacters);
        int streamLength = length / _batch, rows = _steps * _batch;
        var h = new float[_h0.Length];
        var c = new float[_c0.Length];
        double total = 0;
        long count = 0;
        for (int position = 0; position + _steps + 1 <= streamLength; position += _steps)
        {
            Fill(text, streamLength, position);
            _model.Stack.Forward(_steps, _batch, _x, h, c, _model.Rnn, _y, _hT, _cT, _workspace, training: false);
            Linear.Forward(rows, _hidden, _vocabulary, _y, _model.FcWeight, _model.FcBias, _logits);
            total += SoftmaxCrossEntropy.ForwardBackward(_logits, _targets, _logits, _vocabulary);
            count += rows;
            _hT.CopyTo(h, 0);
            _cT.CopyTo(c, 0);
        }

        return count == 0 ? double.NaN : total / count;
    }

    /// <summary>Inverted dropout on the LSTM output: a fresh mask of 0 or 1 / (1 - p) per element, y * mask into the linear layer.</summary>
    private void ApplyDropout()
    {
        float keep = 1f / (1f - _dropout);
        ulong threshold = (ulong)(_dropout * 4294967296.0);
        for (int i = 0; i < _mask.Length; i++)
        {
            // xorshift64*: cheap, and plenty for dropout masks.
            _random ^= _random >> 12;
            _random ^= _random << 25;
            _random ^= _random >> 27;
            _mask[i] = ((_random * 0x2545F4914F6CDD1DUL) >> 32) < threshold ? 0f : keep;
        }

        for (int i = 0; i < _mask.Length; i++) _yDropped[i] = _y[i] * _mask[i];
    }

    /// <summary>One-hot inputs and next-character targets, time-major: row t * N + n is stream n at position + t.</summary>
    private void Fill(ReadOnlySpan<int> text, int streamLength, int position)
    {
        Array.Clear(_x);
        for (int t = 0; t < _steps; t++)
            for (int n = 0; n < _batch; n++)
            {
                int at = n * streamLength + position + t, row = t * _batch + n;
                _x[row * _vocabulary + text[at]] = 1f;
                _targets[row] = text[at + 1];
            }
    }
}
