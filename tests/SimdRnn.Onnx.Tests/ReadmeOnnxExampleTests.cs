using SimdRnn.Onnx.Tests.Support;

namespace SimdRnn.Onnx.Tests;

/// <summary>The README's "Run your ONNX model" example, verbatim between the markers (keep the two in step).</summary>
public class ReadmeOnnxExampleTests
{
    [Fact]
    public void The_readme_onnx_example_runs_the_exported_lstm()
    {
        string path = Fixture.Path("lstm.onnx");
        // README example start
        OnnxRecurrentModel model = OnnxRecurrentModel.Load(path);    // e.g. torch.onnx.export of an nn.LSTM
        OnnxRecurrentNode node = model.Nodes[0];                      // one node per layer, in graph order
        RecurrentStack stack = node.Stack;                            // cell, I, H, forward or bidirectional
        int T = 5, N = 2, state = stack.Directions * N * stack.HiddenSize;
        float[] x = new float[T * N * stack.InputSize], h0 = new float[state], c0 = new float[state];
        float[] y = new float[T * N * stack.Directions * stack.HiddenSize], hT = new float[state], cT = new float[state];
        var workspace = new float[stack.WorkspaceLength(T, N, training: false)];
        stack.Forward(T, N, x, h0, c0, node.Parameters, y, hT, cT, workspace, training: false);
        // README example end

        Assert.Equal(NodeChain.Run(model.Nodes, T, N, x, h0, c0).Y, y);
        Assert.Contains(y, v => v != 0); // the biases alone move a zero input
        string readme = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "README.md"));
        string source = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "ReadmeOnnxExampleTests.cs.txt"));
        string example = source[(source.IndexOf("// README example start", StringComparison.Ordinal) + 24)..source.IndexOf("        // README example end", StringComparison.Ordinal)];
        foreach (string line in example.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))
            Assert.True(readme.Contains(line, StringComparison.Ordinal), $"the README example lacks: {line}");
    }
}
