namespace SimdRnn.Tests;

/// <summary>The README's "Example" section, verbatim between the markers (keep the two in step), plus checks.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void The_readme_example_runs_and_trains()
    {
        // README example start
        const int T = 5, N = 2, I = 3, H = 4;                         // steps, batch rows, input and hidden sizes
        var lstm = new RecurrentStack(CellKind.Lstm, I, H);           // layers: 1, bidirectional: false
        RecurrentParameters weights = lstm.CreateParameters();        // weight_ih_l0 (4H x I), weight_hh_l0, bias_ih_l0, bias_hh_l0
        var random = new Random(1);
        for (int i = 0; i < weights.All.Length; i++) weights.All[i] = (float)(random.NextDouble() - 0.5);

        float[] x = new float[T * N * I], h0 = new float[N * H], c0 = new float[N * H];   // time-major: x is T x N x I
        float[] y = new float[T * N * H], hT = new float[N * H], cT = new float[N * H];
        var workspace = new float[lstm.WorkspaceLength(T, N, training: true)];  // keep it: later calls allocate nothing
        lstm.Forward(T, N, x, h0, c0, weights, y, hT, cT, workspace, training: true);

        float[] dy = new float[y.Length], dhT = new float[N * H], dcT = new float[N * H];  // dL/dy, dL/dhT, dL/dcT
        Array.Fill(dy, 1f);
        float[] dx = new float[x.Length], dh0 = new float[N * H], dc0 = new float[N * H];
        RecurrentParameters gradients = lstm.CreateParameters();      // backward ADDS into these
        lstm.Backward(T, N, x, h0, weights, y, dy, dhT, dcT, dx, dh0, dc0, gradients, workspace);

        RecurrentParameters m = lstm.CreateParameters(), v = lstm.CreateParameters();
        Optimizer.AdamStep(weights.All, gradients.All, m.All, v.All, step: 1, learningRate: 1e-3f);
        // README example end

        Assert.All(y.Concat(dx).Concat(gradients.All), value => Assert.True(float.IsFinite(value)));
        Assert.Contains(gradients.All, g => g != 0);
        string readme = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "README.md"));
        string source = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "ReadmeExampleTests.cs.txt"));
        string example = source[(source.IndexOf("// README example start") + 24)..source.IndexOf("        // README example end")];
        foreach (string line in example.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))
            Assert.True(readme.Contains(line), $"the README example lacks: {line}");
    }
}
