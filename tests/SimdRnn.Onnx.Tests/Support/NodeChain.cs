namespace SimdRnn.Onnx.Tests.Support;

/// <summary>
/// Runs imported nodes one after the other as a PyTorch multi-layer export does: node l takes the previous node's y,
/// and its states are rows [l*D, (l+1)*D) of the stacked h0 / c0; hT / cT are stacked the same way.
/// </summary>
internal static class NodeChain
{
    public static (float[] Y, float[] HT, float[] CT) Run(IReadOnlyList<OnnxRecurrentNode> nodes, int steps, int batch,
        float[] x, float[] h0, float[]? c0)
    {
        var hT = new List<float>();
        var cT = new List<float>();
        float[] input = x;
        int stateOffset = 0;
        foreach (OnnxRecurrentNode node in nodes)
        {
            RecurrentStack stack = node.Stack;
            int stateLength = stack.Directions * batch * stack.HiddenSize;
            bool lstm = stack.Cell == CellKind.Lstm;
            float[] y = new float[steps * batch * stack.Directions * stack.HiddenSize];
            float[] h = new float[stateLength], c = new float[lstm ? stateLength : 0];
            float[] workspace = new float[stack.WorkspaceLength(steps, batch, training: false)];
            stack.Forward(steps, batch, input, h0.AsSpan(stateOffset, stateLength), lstm ? c0.AsSpan(stateOffset, stateLength) : [],
                node.Parameters, y, h, c, workspace, training: false);
            hT.AddRange(h);
            cT.AddRange(c);
            stateOffset += stateLength;
            input = y;
        }

        return (input, [.. hT], [.. cT]);
    }

    /// <summary>ONNX's Y (T x D x N x H) as SimdRnn's y (T x N x D*H).</summary>
    public static float[] FromOnnxY(float[] y, int steps, int directions, int batch, int hidden)
    {
        float[] result = new float[y.Length];
        for (int t = 0; t < steps; t++)
            for (int d = 0; d < directions; d++)
                for (int n = 0; n < batch; n++)
                    y.AsSpan(((t * directions + d) * batch + n) * hidden, hidden)
                        .CopyTo(result.AsSpan(((t * batch + n) * directions + d) * hidden, hidden));
        return result;
    }
}
