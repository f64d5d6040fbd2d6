namespace SimdRnn.Reference;

/// <summary>The recurrent cell kinds, as PyTorch names them.</summary>
public enum ReferenceCellKind
{
    /// <summary>nn.LSTM: gates i, f, g, o.</summary>
    Lstm,

    /// <summary>nn.GRU: gates r, z, n.</summary>
    Gru,

    /// <summary>nn.RNN with tanh.</summary>
    RnnTanh,

    /// <summary>nn.RNN with relu.</summary>
    RnnRelu,
}

/// <summary>
/// Multi-layer, optionally bidirectional RNN / LSTM / GRU forward and BPTT backward in double precision, straight from
/// the equations, step by step. Parameters are keyed by PyTorch's state_dict names (weight_ih_l0, weight_hh_l0,
/// bias_ih_l0, bias_hh_l0, ..._reverse; no bias entries with <paramref name="bias"/> false), in PyTorch's layout
/// (G*H x I, G*H x H) and gate order. Layout is time-major: x is T x N x I, y is T x N x D*H (directions concatenated),
/// h0 / hT / c0 / cT are (layers*D) x N x H; with <paramref name="batchFirst"/>, x is N x T x I and y is N x T x D*H
/// (PyTorch's batch_first; the states keep their layout). With <paramref name="dropout"/> p &gt; 0, each layer's output
/// except the last is multiplied by <see cref="ReferenceDropout.Factor"/> (0 or 1/(1-p)) before the next layer reads it.
/// Optional lengths (one per batch row, in [1, T]) give PyTorch's packed-sequence semantics, written as a mask: at a
/// padded step a row's state stays as it is (the reverse direction therefore still holds h0 when it reaches the row's
/// last valid step), its output is 0, and backward passes the state gradients through it untouched.
/// A GRU with <paramref name="linearBeforeReset"/> false applies r to h before the recurrent product (ONNX's default
/// <c>linear_before_reset = 0</c>, Keras' <c>reset_after=False</c>): n = tanh(W_in x + b_in + W_hn (r * h) + b_hn).
/// An LSTM with <paramref name="projectionSize"/> P &gt; 0 (PyTorch's proj_size) outputs h_t = W_hr (o_t * tanh(c_t)) with
/// weight_hr_l{k} (P x H): y, h0 and hT are P wide (D*P for y), weight_hh is 4H x P and the layers above the first take D*P inputs.
/// </summary>
public sealed class ReferenceRnn(ReferenceCellKind cell, int inputSize, int hiddenSize, int layers = 1, bool bidirectional = false,
    bool bias = true, bool batchFirst = false, double dropout = 0, bool linearBeforeReset = true, int projectionSize = 0)
{
    /// <summary>Outputs of <see cref="Forward"/>.</summary>
    public sealed record ForwardResult(double[] Y, double[] HT, double[]? CT);

    /// <summary>Gradients of <see cref="Backward"/>; <see cref="Parameters"/> is keyed like the parameters.</summary>
    public sealed record Gradients(double[] Dx, double[] Dh0, double[]? Dc0, Dictionary<string, double[]> Parameters);

    public ReferenceCellKind Cell { get; } = cell;
    public int InputSize { get; } = inputSize;
    public int HiddenSize { get; } = hiddenSize;
    public int Layers { get; } = layers;
    public int Directions { get; } = bidirectional ? 2 : 1;
    public bool Bias { get; } = bias;
    public bool BatchFirst { get; } = batchFirst;
    public double Dropout { get; } = dropout;

    /// <summary>GRU: r multiplies W_hn h + b_hn (true, PyTorch's form) or h before the product (false).</summary>
    public bool LinearBeforeReset { get; } = linearBeforeReset;

    /// <summary>P, an LSTM's projection (0: none).</summary>
    public int ProjectionSize { get; } = projectionSize;

    /// <summary>The width of the hidden state and of a direction's output: P with a projection, else H.</summary>
    public int StateSize => ProjectionSize > 0 ? ProjectionSize : HiddenSize;
    public int GateCount => Cell switch { ReferenceCellKind.Lstm => 4, ReferenceCellKind.Gru => 3, _ => 1 };
    private bool HasCell => Cell == ReferenceCellKind.Lstm;

    /// <summary>The parameter names of layer <paramref name="layer"/>, direction <paramref name="direction"/>.</summary>
    public static (string Wih, string Whh, string Bih, string Bhh) Names(int layer, int direction)
    {
        string suffix = $"_l{layer}" + (direction == 1 ? "_reverse" : "");
        return ("weight_ih" + suffix, "weight_hh" + suffix, "bias_ih" + suffix, "bias_hh" + suffix);
    }

    /// <summary>The name of the projection weight (weight_hr) of layer <paramref name="layer"/>, direction <paramref name="direction"/>.</summary>
    public static string ProjectionName(int layer, int direction) => $"weight_hr_l{layer}" + (direction == 1 ? "_reverse" : "");

    /// <summary>Input width of a layer: I for the first, D*S above it (S = H, or P with a projection).</summary>
    public int LayerInputSize(int layer) => layer == 0 ? InputSize : Directions * StateSize;

    /// <summary>Random parameters in [-scale, scale], every value exactly representable as float.</summary>
    public Dictionary<string, double[]> RandomParameters(Random random, double scale = 0.5)
    {
        var parameters = new Dictionary<string, double[]>();
        int gh = GateCount * HiddenSize;
        for (int l = 0; l < Layers; l++)
            for (int d = 0; d < Directions; d++)
            {
                var (wih, whh, bih, bhh) = Names(l, d);
                parameters[wih] = RandomFloats(random, gh * LayerInputSize(l), scale);
                parameters[whh] = RandomFloats(random, gh * StateSize, scale);
                if (Bias)
                {
                    parameters[bih] = RandomFloats(random, gh, scale);
                    parameters[bhh] = RandomFloats(random, gh, scale);
                }

                if (ProjectionSize > 0) parameters[ProjectionName(l, d)] = RandomFloats(random, ProjectionSize * HiddenSize, scale);
            }

        return parameters;
    }

    /// <summary>Random values in [-scale, scale] that are exactly representable as float.</summary>
    public static double[] RandomFloats(Random random, int count, double scale)
    {
        var values = new double[count];
        for (int i = 0; i < count; i++) values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        return values;
    }

    /// <summary>The forward (a training forward: dropout, if any, applies with the mask of <paramref name="dropoutSeed"/>).</summary>
    public ForwardResult Forward(int steps, int batch, double[] x, double[] h0, double[]? c0, Dictionary<string, double[]> parameters,
        ulong dropoutSeed = 0, int[]? lengths = null)
    {
        ForwardResult result = Run(steps, batch, ToTimeMajor(x, steps, batch), h0, c0, parameters, null, dropoutSeed, lengths);
        return result with { Y = FromTimeMajor(result.Y, steps, batch) };
    }

    /// <summary>Gradients of L = sum(y dy) + sum(hT dhT) + sum(cT dcT), through the forward of <paramref name="dropoutSeed"/>.</summary>
    public Gradients Backward(int steps, int batch, double[] x, double[] h0, double[]? c0, Dictionary<string, double[]> parameters,
        double[] dy, double[] dhT, double[]? dcT, ulong dropoutSeed = 0, int[]? lengths = null)
    {
        var gradients = new Gradients(new double[x.Length], new double[h0.Length], HasCell ? new double[Layers * Directions * batch * HiddenSize] : null,
            parameters.ToDictionary(p => p.Key, p => new double[p.Value.Length]));
        Run(steps, batch, ToTimeMajor(x, steps, batch), h0, c0, parameters, (ToTimeMajor(dy, steps, batch), dhT, dcT, gradients), dropoutSeed,
            lengths);
        double[] dx = FromTimeMajor(gradients.Dx, steps, batch);
        Array.Copy(dx, gradients.Dx, dx.Length);
        return gradients;
    }

    /// <summary>Batch-first N x T x W to time-major T x N x W (a copy either way; the reference is plain, not fast).</summary>
    private double[] ToTimeMajor(double[] values, int steps, int batch) => BatchFirst ? Swap(values, batch, steps) : values;

    private double[] FromTimeMajor(double[] values, int steps, int batch) => BatchFirst ? Swap(values, steps, batch) : values;

    /// <summary>A x B x W to B x A x W.</summary>
    private static double[] Swap(double[] values, int outer, int inner)
    {
        int width = values.Length / (outer * inner);
        var result = new double[values.Length];
        for (int a = 0; a < outer; a++)
            for (int b = 0; b < inner; b++)
                Array.Copy(values, (a * inner + b) * width, result, (b * outer + a) * width, width);
        return result;
    }

    /// <summary>Multiplies a layer's time-major output (T x N x width) by the dropout factors of <paramref name="layer"/>.</summary>
    private double[] Drop(double[] values, int steps, int batch, int layer, ulong seed)
    {
        var result = new double[values.Length];
        int width = values.Length / (steps * batch);
        for (int t = 0; t < steps; t++)
            for (int n = 0; n < batch; n++)
                for (int u = 0; u < width; u++)
                {
                    int k = (t * batch + n) * width + u;
                    result[k] = values[k] * ReferenceDropout.Factor(seed, layer, t, n, u, Dropout);
                }

        return result;
    }

    private ForwardResult Run(int steps, int batch, double[] x, double[] h0, double[]? c0, Dictionary<string, double[]> parameters,
        (double[] Dy, double[] DhT, double[]? DcT, Gradients Result)? backward, ulong dropoutSeed, int[]? lengths)
    {
        bool Valid(int t, int n) => lengths == null || t < lengths[n];
        // What each layer's input is after dropout (layerInputs[l + 1] = Drop(outputs[l])); the top layer's output is y.
        var outputs = new double[Layers][];
        double[] Zeros() => new double[GateCount * HiddenSize];
        double[] BiasOf(Dictionary<string, double[]> values, string name) => Bias ? values[name] : Zeros();
        int h = StateSize, stateSize = batch * h, cellStateSize = batch * HiddenSize;
        double[]? ProjectionOf(Dictionary<string, double[]> values, int l, int d) => ProjectionSize > 0 ? values[ProjectionName(l, d)] : null;
        var hT = new double[Layers * Directions * stateSize];
        double[]? cT = HasCell ? new double[Layers * Directions * cellStateSize] : null;
        var layerInputs = new double[Layers + 1][];
        layerInputs[0] = x;
        var tapes = new Tape[Layers, Directions];
        for (int l = 0; l < Layers; l++)
        {
            int inputSize = LayerInputSize(l);
            var y = new double[steps * batch * Directions * h];
            for (int d = 0; d < Directions; d++)
            {
                int s = l * Directions + d;
                var (wih, whh, bih, bhh) = Names(l, d);
                var layer = new Direction(this, inputSize, parameters[wih], parameters[whh], BiasOf(parameters, bih), BiasOf(parameters, bhh), d == 1,
                    Valid, ProjectionOf(parameters, l, d));
                Tape tape = layer.Forward(steps, batch, layerInputs[l], h0.AsSpan(s * stateSize, stateSize).ToArray(),
                    c0?.AsSpan(s * cellStateSize, cellStateSize).ToArray());
                tapes[l, d] = tape;
                for (int t = 0; t < steps; t++)
                {
                    // The reverse direction reaches time t at processing step T - 1 - t.
                    double[] hAtT = tape.H[(d == 1 ? steps - 1 - t : t) + 1];
                    for (int n = 0; n < batch; n++)
                        if (Valid(t, n)) Array.Copy(hAtT, n * h, y, ((t * batch + n) * Directions + d) * h, h);
                }
                Array.Copy(tape.H[steps], 0, hT, s * stateSize, stateSize);
                if (cT != null) Array.Copy(tape.C![steps], 0, cT, s * cellStateSize, cellStateSize);
            }

            outputs[l] = y;
            layerInputs[l + 1] = Dropout > 0 && l < Layers - 1 ? Drop(y, steps, batch, l, dropoutSeed) : y;
        }

        if (backward is { } b)
        {
            double[] dOutput = b.Dy;
            for (int l = Layers - 1; l >= 0; l--)
            {
                int inputSize = LayerInputSize(l);
                var dInput = new double[steps * batch * inputSize];
                for (int d = 0; d < Directions; d++)
                {
                    int s = l * Directions + d;
                    var (wih, whh, bih, bhh) = Names(l, d);
                    var layer = new Direction(this, inputSize, parameters[wih], parameters[whh], BiasOf(parameters, bih), BiasOf(parameters, bhh), d == 1,
                        Valid, ProjectionOf(parameters, l, d));
                    var dyDirection = new double[steps * stateSize];
                    for (int t = 0; t < steps; t++)
                        for (int n = 0; n < batch; n++)
                            Array.Copy(dOutput, ((t * batch + n) * Directions + d) * h, dyDirection, (t * batch + n) * h, h);
                    var (dh0, dc0) = layer.Backward(tapes[l, d], steps, batch, layerInputs[l], dyDirection,
                        b.DhT.AsSpan(s * stateSize, stateSize).ToArray(), b.DcT?.AsSpan(s * cellStateSize, cellStateSize).ToArray(),
                        dInput, b.Result.Parameters[wih], b.Result.Parameters[whh], BiasOf(b.Result.Parameters, bih), BiasOf(b.Result.Parameters, bhh),
                        ProjectionOf(b.Result.Parameters, l, d));
                    Array.Copy(dh0, 0, b.Result.Dh0, s * stateSize, stateSize);
                    if (dc0 != null) Array.Copy(dc0, 0, b.Result.Dc0!, s * cellStateSize, cellStateSize);
                }

                // The gradient of layer l - 1's output: through its dropout factors (the same mask as forward).
                dOutput = Dropout > 0 && l > 0 ? Drop(dInput, steps, batch, l - 1, dropoutSeed) : dInput;
            }

            Array.Copy(dOutput, b.Result.Dx, dOutput.Length);
        }

        return new ForwardResult(outputs[Layers - 1], hT, cT);
    }

    /// <summary>
    /// What one direction of one layer keeps for backward, indexed by processing step (H[0] = h0); GRU: Ghn holds
    /// W_hn h + b_hn, or r * h when r applies before the product; M: an LSTM's o * tanh(c) before its projection.
    /// </summary>
    private sealed record Tape(double[][] H, double[][]? C, double[][] Gates, double[][] Ghn, double[][] M);

    private sealed class Direction(ReferenceRnn owner, int inputSize, double[] wih, double[] whh, double[] bih, double[] bhh, bool reverse,
        Func<int, int, bool> valid, double[]? whr = null)
    {
        private readonly int _h = owner.HiddenSize;
        private readonly int _s = owner.StateSize;
        private readonly int _g = owner.GateCount;
        private readonly bool _resetFirst = owner.Cell == ReferenceCellKind.Gru && !owner.LinearBeforeReset;

        private int TimeOf(int step, int steps) => reverse ? steps - 1 - step : step;

        private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

        /// <summary>out[n, r] = b[r] + sum_k in[n, k] W[r, k], W rows x cols.</summary>
        private static double[] Affine(double[] input, int inputOffset, int batch, int cols, double[] w, double[] b, int rows)
        {
            var result = new double[batch * rows];
            for (int n = 0; n < batch; n++)
                for (int r = 0; r < rows; r++)
                {
                    double sum = b[r];
                    for (int k = 0; k < cols; k++) sum += input[inputOffset + n * cols + k] * w[r * cols + k];
                    result[n * rows + r] = sum;
                }

            return result;
        }

        public Tape Forward(int steps, int batch, double[] x, double[] h0, double[]? c0)
        {
            int h = _h, gh = _g * h, sw = _s;
            var hs = new double[steps + 1][];
            var cs = owner.HasCell ? new double[steps + 1][] : null;
            var gates = new double[steps][];
            var ghns = new double[steps][];
            var ms = new double[steps][];
            hs[0] = h0;
            if (cs != null) cs[0] = c0!;
            for (int step = 0; step < steps; step++)
            {
                int t = TimeOf(step, steps);
                double[] gi = Affine(x, t * batch * inputSize, batch, inputSize, wih, bih, gh);
                double[] ghm = Affine(hs[step], 0, batch, sw, whh, bhh, gh);
                var hNew = new double[batch * sw];
                // The cell's output: h itself, or o * tanh(c) that the projection then multiplies by W_hr.
                double[] m = whr == null ? hNew : new double[batch * h];
                var act = new double[batch * gh];
                var ghn = new double[batch * h];
                double[]? cNew = cs != null ? new double[batch * h] : null;
                // Reset first: r * h of every unit, then W_hn (r * h) + b_hn (zero-sized otherwise).
                var resetProduct = new double[_resetFirst ? batch * h : 0];
                var candidate = new double[resetProduct.Length];
                for (int k = 0; k < resetProduct.Length; k++)
                    resetProduct[k] = Sigmoid(gi[k / h * gh + k % h] + ghm[k / h * gh + k % h]) * hs[step][k];
                for (int k = 0; k < candidate.Length; k++)
                {
                    int n = k / h, j = k % h;
                    double sum = bhh[2 * h + j];
                    for (int u = 0; u < h; u++) sum += resetProduct[n * h + u] * whh[(2 * h + j) * h + u];
                    candidate[k] = sum;
                }

                for (int n = 0; n < batch; n++)
                    for (int j = 0; j < h; j++)
                    {
                        int k = n * h + j;
                        if (!valid(t, n))
                        {
                            // A padded step: the state is kept (no gates: act and ghn stay 0).
                            if (whr == null) hNew[k] = hs[step][k];
                            if (cNew != null) cNew[k] = cs![step][k];
                            continue;
                        }

                        double Pre(int gate) => gi[n * gh + gate * h + j] + ghm[n * gh + gate * h + j];
                        switch (owner.Cell)
                        {
                            case ReferenceCellKind.Lstm:
                                double i = Sigmoid(Pre(0)), f = Sigmoid(Pre(1)), g = Math.Tanh(Pre(2)), o = Sigmoid(Pre(3));
                                cNew![k] = f * cs![step][k] + i * g;
                                m[k] = o * Math.Tanh(cNew[k]);
                                (act[n * gh + j], act[n * gh + h + j], act[n * gh + 2 * h + j], act[n * gh + 3 * h + j]) = (i, f, g, o);
                                break;
                            case ReferenceCellKind.Gru:
                                double r = Sigmoid(Pre(0)), z = Sigmoid(Pre(1));
                                ghn[k] = _resetFirst ? resetProduct[k] : ghm[n * gh + 2 * h + j];
                                double nn = Math.Tanh(gi[n * gh + 2 * h + j] + (_resetFirst ? candidate[k] : r * ghn[k]));
                                hNew[k] = (1 - z) * nn + z * hs[step][k];
                                (act[n * gh + j], act[n * gh + h + j], act[n * gh + 2 * h + j]) = (r, z, nn);
                                break;
                            default:
                                hNew[k] = owner.Cell == ReferenceCellKind.RnnTanh ? Math.Tanh(Pre(0)) : Math.Max(Pre(0), 0);
                                act[n * gh + j] = hNew[k];
                                break;
                        }
                    }

                if (whr != null)
                    for (int n = 0; n < batch; n++)
                        for (int p = 0; p < sw; p++)
                        {
                            // h_t = W_hr m_t; a padded step keeps the state.
                            double sum = 0;
                            for (int j = 0; j < h && valid(t, n); j++) sum += whr[p * h + j] * m[n * h + j];
                            hNew[n * sw + p] = valid(t, n) ? sum : hs[step][n * sw + p];
                        }

                hs[step + 1] = hNew;
                if (cs != null) cs[step + 1] = cNew!;
                gates[step] = act;
                ghns[step] = ghn;
                ms[step] = m;
            }

            return new Tape(hs, cs, gates, ghns, ms);
        }

        /// <summary>BPTT: adds into dx and the parameter gradients; returns dh0 (and dc0).</summary>
        public (double[] Dh0, double[]? Dc0) Backward(Tape tape, int steps, int batch, double[] x, double[] dy, double[] dhT, double[]? dcT,
            double[] dx, double[] dWih, double[] dWhh, double[] dBih, double[] dBhh, double[]? dWhr = null)
        {
            int h = _h, gh = _g * h, sw = _s;
            double[] dh = (double[])dhT.Clone();
            double[]? dc = dcT != null ? (double[])dcT.Clone() : null;
            for (int step = steps - 1; step >= 0; step--)
            {
                int t = TimeOf(step, steps);
                double[] act = tape.Gates[step], hPrev = tape.H[step];
                var dGi = new double[batch * gh];
                var dGh = new double[batch * gh];
                var dhDirect = new double[batch * sw];
                // The gradient of the cell's output (o * tanh(c) with a projection): dh_t + dy_t, through W_hr with one.
                var dCellOutput = new double[batch * h];
                for (int n = 0; n < batch; n++)
                {
                    if (!valid(t, n))
                    {
                        // A padded step passes dh (and dc) through; dy there is not read.
                        Array.Copy(dh, n * sw, dhDirect, n * sw, sw);
                        continue;
                    }

                    for (int p = 0; p < sw; p++)
                    {
                        double total = dh[n * sw + p] + dy[(t * batch + n) * sw + p];
                        if (whr == null)
                        {
                            dCellOutput[n * h + p] = total;
                            continue;
                        }

                        for (int j = 0; j < h; j++)
                        {
                            dWhr![p * h + j] += total * tape.M[step][n * h + j];
                            dCellOutput[n * h + j] += total * whr[p * h + j];
                        }
                    }
                }

                for (int n = 0; n < batch; n++)
                    for (int j = 0; j < h; j++)
                    {
                        int k = n * h + j;
                        if (!valid(t, n)) continue;
                        double g0 = dCellOutput[k];
                        double Act(int gate) => act[n * gh + gate * h + j];
                        switch (owner.Cell)
                        {
                            case ReferenceCellKind.Lstm:
                                double i = Act(0), f = Act(1), g = Act(2), o = Act(3), tc = Math.Tanh(tape.C![step + 1][k]);
                                double dcTotal = dc![k] + g0 * o * (1 - tc * tc);
                                double[] d = [dcTotal * g * i * (1 - i), dcTotal * tape.C[step][k] * f * (1 - f), dcTotal * i * (1 - g * g), g0 * tc * o * (1 - o)];
                                for (int q = 0; q < 4; q++) dGi[n * gh + q * h + j] = dGh[n * gh + q * h + j] = d[q];
                                dc[k] = dcTotal * f;
                                break;
                            case ReferenceCellKind.Gru:
                                double r = Act(0), z = Act(1), nn = Act(2);
                                double dnp = g0 * (1 - z) * (1 - nn * nn);
                                double drp = dnp * tape.Ghn[step][k] * r * (1 - r);
                                double dzp = g0 * (hPrev[k] - nn) * z * (1 - z);
                                (dGi[n * gh + j], dGi[n * gh + h + j], dGi[n * gh + 2 * h + j]) = (drp, dzp, dnp);
                                (dGh[n * gh + j], dGh[n * gh + h + j], dGh[n * gh + 2 * h + j]) = (drp, dzp, dnp * r);
                                dhDirect[k] = g0 * z;
                                if (_resetFirst) dGi[n * gh + j] = dGh[n * gh + j] = 0; // dG_r follows from da below
                                if (_resetFirst) dGh[n * gh + 2 * h + j] = dnp;
                                break;
                            default:
                                double y = act[n * gh + j];
                                dGi[n * gh + j] = dGh[n * gh + j] = owner.Cell == ReferenceCellKind.RnnTanh ? g0 * (1 - y * y) : (y > 0 ? g0 : 0);
                                break;
                        }
                    }

                // Reset first: da = dG_n W_hn (dL/d(r * h)); dG_r = da h r (1 - r); dh_{t-1} gets da r directly.
                for (int n = 0; n < batch && _resetFirst; n++)
                    for (int u = 0; u < h && valid(t, n); u++)
                    {
                        double da = 0;
                        for (int j = 0; j < h; j++) da += dGh[n * gh + 2 * h + j] * whh[(2 * h + j) * h + u];
                        double r = act[n * gh + u];
                        dGi[n * gh + u] = dGh[n * gh + u] = da * hPrev[n * h + u] * r * (1 - r);
                        dhDirect[n * h + u] += da * r;
                    }

                var dhPrev = new double[batch * sw];
                for (int n = 0; n < batch; n++)
                    for (int r = 0; r < gh && valid(t, n); r++)
                    {
                        double gi = dGi[n * gh + r], ghr = dGh[n * gh + r];
                        dBih[r] += gi;
                        dBhh[r] += ghr;
                        for (int k = 0; k < inputSize; k++)
                        {
                            dWih[r * inputSize + k] += gi * x[(t * batch + n) * inputSize + k];
                            dx[(t * batch + n) * inputSize + k] += gi * wih[r * inputSize + k];
                        }

                        // Reset first, W_hn multiplies r * h (kept in the tape), and its part of dh_{t-1} is in dhDirect.
                        bool ofResetProduct = _resetFirst && r >= 2 * h;
                        for (int k = 0; k < sw; k++)
                        {
                            dWhh[r * sw + k] += ghr * (ofResetProduct ? tape.Ghn[step][n * h + k] : hPrev[n * sw + k]);
                            if (!ofResetProduct) dhPrev[n * sw + k] += ghr * whh[r * sw + k];
                        }
                    }

                for (int k = 0; k < dhPrev.Length; k++) dhPrev[k] += dhDirect[k];
                dh = dhPrev;
            }

            return (dh, dc);
        }
    }
}
