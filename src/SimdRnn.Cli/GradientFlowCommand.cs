using System.CommandLine;
using System.Globalization;

namespace SimdRnn.Cli;

/// <summary>
/// simdrnn gradient-flow: for a loss on the last step's output, the norm of dL/dh_t at every step t, for each cell,
/// computed with the real forward and BPTT kernels and plotted on a log scale: the vanishing-gradient picture.
/// </summary>
internal sealed class GradientFlowCommand : Command
{
    private readonly Option<string> _cell = CliOptions.Cell("The cells to plot, separated by commas: lstm, gru, rnn (tanh), rnn-relu.", "rnn,lstm,gru", list: true);
    private readonly Option<int> _steps = CliOptions.Int("--steps", "Sequence length T; the loss is on the last step.", 200, 2, 5000);
    private readonly Option<int> _hidden = CliOptions.Int("--hidden", "Hidden size H.", 64, 1, 4096);
    private readonly Option<int> _seed = CliOptions.Int("--seed", "Seed of the random weights and inputs.", 1, 0, int.MaxValue);
    private readonly Option<string> _plot = CliOptions.Text("--plot", "Write the plot (SVG, log scale) here.", "gradient-flow.svg");

    public GradientFlowCommand()
        : base("gradient-flow", "Plot |dL/dh_t| at every step t for a loss on the last step, for each cell, with the real forward and " +
                                "BPTT kernels and random weights: the vanishing-gradient picture.")
    {
        foreach (Option option in new Option[] { _cell, _steps, _hidden, _seed, _plot }) Options.Add(option);
        SetAction(Run);
    }

    private int Run(ParseResult parse)
    {
        CellKind[] cells = parse.GetValue(_cell)!.Split(',').Select(CliOptions.ParseCell).ToArray();
        int steps = parse.GetValue(_steps);
        int hidden = parse.GetValue(_hidden);
        int seed = parse.GetValue(_seed);
        string plotPath = parse.GetValue(_plot)!;

        var chart = new SvgChart($"gradient flow: |dL/dh_t| for L = sum(h_T), T={steps}, H={hidden}, random weights", "step t", "|dL/dh_t|", logY: true, integerX: true);
        foreach (CellKind cell in cells)
        {
            double[] norms = Norms(cell, steps, hidden, seed);
            chart.Add(cell.ToString(), norms.Select((value, t) => ((double)t, value)).ToList());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{cell,-8} |dL/dh_t| at t = {steps - 1}: {norms[^1]:E2}, t = {steps / 2}: {norms[steps / 2]:E2}, t = 0: {norms[0]:E2}"));
        }

        Console.WriteLine($"plot: {chart.Save(plotPath)}");
        return 0;
    }

    /// <summary>
    /// dL/dh_t for L = sum(h_T): the state after step t goes in as h0 of the rest of the sequence, whose backward
    /// returns dh0 = dL/dh_t. Quadratic in T, which is nothing at these sizes.
    /// </summary>
    private static double[] Norms(CellKind cell, int steps, int hidden, int seed)
    {
        var random = new Random(seed);
        const int input = 16;
        var stack = new RecurrentStack(cell, input, hidden);
        RecurrentParameters parameters = stack.CreateParameters(), gradients = stack.CreateParameters();
        float bound = 1f / MathF.Sqrt(hidden);
        for (int i = 0; i < parameters.All.Length; i++) parameters.All[i] = (float)(random.NextDouble() * 2 - 1) * bound;
        // The usual gated-cell initialisation: a +1 bias on the gate that keeps the old state (LSTM forget gate f,
        // GRU update gate z; Jozefowicz et al. 2015), which is what lets the gradient survive many steps.
        if (cell is CellKind.Lstm or CellKind.Gru)
            foreach (ref float b in parameters["bias_ih_l0"].Span.Slice(hidden, hidden)) b += 1f;
        float[] x = new float[steps * input];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 2 - 1);
        bool lstm = cell == CellKind.Lstm;
        float[] workspace = new float[stack.WorkspaceLength(steps, 1)];
        float[] y = new float[steps * hidden], hT = new float[hidden], cT = new float[lstm ? hidden : 0];

        // h_t and c_t after every step, from one inference pass step by step.
        var hs = new float[steps + 1][];
        var cs = new float[steps + 1][];
        hs[0] = new float[hidden];
        cs[0] = new float[lstm ? hidden : 0];
        for (int t = 0; t < steps; t++)
        {
            (hs[t + 1], cs[t + 1]) = (new float[hidden], new float[cs[0].Length]);
            stack.Forward(1, 1, x.AsSpan(t * input, input), hs[t], cs[t], parameters, y.AsSpan(0, hidden), hs[t + 1], cs[t + 1], workspace, training: false);
        }

        var norms = new double[steps];
        float[] ones = Enumerable.Repeat(1f, hidden).ToArray();
        for (int t = 0; t < steps; t++)
        {
            int rest = steps - t - 1;
            if (rest == 0)
            {
                norms[t] = Math.Sqrt(hidden);
                continue;
            }

            ReadOnlySpan<float> xs = x.AsSpan((t + 1) * input, rest * input);
            Span<float> ys = y.AsSpan(0, rest * hidden);
            stack.Forward(rest, 1, xs, hs[t + 1], cs[t + 1], parameters, ys, hT, cT, workspace, training: true);
            float[] dh0 = new float[hidden], dc0 = new float[cT.Length];
            stack.Backward(rest, 1, xs, hs[t + 1], parameters, ys, new float[rest * hidden], ones, new float[cT.Length],
                new float[rest * input], dh0, dc0, gradients, workspace);
            norms[t] = Math.Sqrt(dh0.Sum(v => (double)v * v));
        }

        return norms;
    }
}
