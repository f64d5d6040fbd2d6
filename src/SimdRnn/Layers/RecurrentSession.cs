namespace SimdRnn;

/// <summary>
/// Streaming inference: a unidirectional <see cref="RecurrentStack"/> with its <see cref="PreparedWeights"/>, fed one
/// step (<see cref="Step"/>) or one chunk of steps (<see cref="Run"/>) per call, the recurrent state carried from call
/// to call. Calls allocate nothing and pack nothing; the results are bitwise those of one forward over all the steps.
/// </summary>
/// <remarks>
/// A session holds the state of <see cref="Batch"/> independent streams, one per batch row; a serving system maps its
/// streams to rows and, when a stream ends and another takes its row, calls <see cref="ResetRow"/> (a row's results
/// never depend on the other rows). A session is for one caller at a time; any number of sessions may share one
/// <see cref="PreparedWeights"/> (refreshing those while sessions run is the caller's race).
/// </remarks>
public sealed class RecurrentSession
{
    private readonly RecurrentStack _stack;
    private readonly PreparedWeights _weights;
    private readonly float[] _workspace;
    private float[] _h, _c, _hNext, _cNext; // the state and its successor, swapped after each call (forward's h0 and hT may not overlap)

    /// <summary>A session of <paramref name="batch"/> streams, taking up to <paramref name="maxSteps"/> steps per call, starting from zero states.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="stack"/> or <paramref name="weights"/> is null.</exception>
    /// <exception cref="ArgumentException">The stack is bidirectional (its reverse direction would need the future), or the
    /// weights were prepared for another stack shape or path.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> or <paramref name="maxSteps"/> is below 1, or too large for one span.</exception>
    public RecurrentSession(RecurrentStack stack, PreparedWeights weights, int batch, int maxSteps = 1)
    {
        ArgumentNullException.ThrowIfNull(stack);
        if (stack.Directions != 1)
            ThrowHelper.ThrowArgument(nameof(stack), "A streaming session needs a unidirectional stack: a reverse direction starts from the end of the sequence.");
        stack.ThrowIfNotUsable(weights, nameof(weights), forBackward: false);
        if (maxSteps < 1) ThrowHelper.ThrowOutOfRange(nameof(maxSteps), maxSteps, "A call takes at least one step.");
        long workspace = stack.WorkspaceLength(maxSteps, batch, training: false, preparedWeights: true); // validates batch and the sizes
        // Every layer's state of every row is one array (a deep stack of a large batch could pass the check above).
        if ((long)stack.Layers * batch * stack.HiddenSize > Array.MaxLength)
            ThrowHelper.ThrowOutOfRange(nameof(batch), batch, $"{stack.Layers} layers x {batch} rows x {stack.HiddenSize} floats of state are more than one array holds.");
        (_stack, _weights, Batch, MaxSteps) = (stack, weights, batch, maxSteps);
        _workspace = new float[workspace];
        int state = checked(stack.Layers * batch * stack.StateSize), cells = stack.Cell == CellKind.Lstm ? checked(stack.Layers * batch * stack.HiddenSize) : 0;
        (_h, _hNext, _c, _cNext) = (new float[state], new float[state], new float[cells], new float[cells]);
    }

    /// <summary>N: the streams (batch rows) of every call.</summary>
    public int Batch { get; }

    /// <summary>The most steps one <see cref="Run"/> takes.</summary>
    public int MaxSteps { get; }

    /// <summary>The hidden state after the last call, layers x N x H (x P with a projection); write it to start from another state.</summary>
    public Span<float> HiddenState => _h;

    /// <summary>LSTM: the cell state after the last call, layers x N x H (empty for other cells); write it to start from another state.</summary>
    public Span<float> CellState => _c;

    /// <summary>Zeroes every stream's state.</summary>
    public void Reset()
    {
        _h.AsSpan().Clear();
        _c.AsSpan().Clear();
    }

    /// <summary>Zeroes the state of stream <paramref name="row"/> in every layer: a new stream takes that row.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="row"/> is not in [0, <see cref="Batch"/>).</exception>
    public void ResetRow(int row)
    {
        if ((uint)row >= (uint)Batch) ThrowHelper.ThrowOutOfRange(nameof(row), row, $"The row must be in [0, {Batch}).");
        int h = _stack.HiddenSize, width = _stack.StateSize;
        for (int layer = 0; layer < _stack.Layers; layer++)
        {
            _h.AsSpan((layer * Batch + row) * width, width).Clear();
            if (_c.Length > 0) _c.AsSpan((layer * Batch + row) * h, h).Clear();
        }
    }

    /// <summary>One step: <paramref name="x"/> is N x I, <paramref name="y"/> receives N x H (N x P with a projection); the state moves on.</summary>
    /// <exception cref="ArgumentException">A span has the wrong length or <paramref name="y"/> overlaps <paramref name="x"/>.</exception>
    public void Step(ReadOnlySpan<float> x, Span<float> y) => Run(1, x, y);

    /// <summary><paramref name="steps"/> steps: <paramref name="x"/> is T x N x I (time-major), <paramref name="y"/> receives T x N x H
    /// (N x T x I and N x T x H for a <see cref="RecurrentStack.BatchFirst"/> stack).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is below 1 or above <see cref="MaxSteps"/>.</exception>
    /// <exception cref="ArgumentException">A span has the wrong length or <paramref name="y"/> overlaps <paramref name="x"/>.</exception>
    public void Run(int steps, ReadOnlySpan<float> x, Span<float> y)
    {
        if (steps < 1 || steps > MaxSteps) ThrowHelper.ThrowOutOfRange(nameof(steps), steps, $"A call takes 1 to {MaxSteps} steps (MaxSteps).");
        _stack.Forward(steps, Batch, x, _h, _c, _weights, y, _hNext, _cNext, _workspace, training: false);
        (_h, _hNext) = (_hNext, _h);
        (_c, _cNext) = (_cNext, _c);
    }
}
