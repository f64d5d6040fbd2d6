namespace SimdRnn.Layers;

/// <summary>
/// The one description of a stack's tensors: PyTorch's state_dict names and shapes in its order (per layer, per
/// direction: weight_ih, weight_hh, bias_ih, bias_hh; no bias tensors at all without biases, as PyTorch's bias=False).
/// Sizes are long so that the safetensors loader can compare the
/// sizes a file claims before anything is allocated.
/// </summary>
internal static class RecurrentLayout
{
    public static IEnumerable<(string Name, long[] Shape)> Tensors(int gates, long inputSize, long hiddenSize, int layers, int directions, bool bias = true)
    {
        long gateRows = gates * hiddenSize;
        for (int layer = 0; layer < layers; layer++)
            for (int direction = 0; direction < directions; direction++)
            {
                string suffix = $"_l{layer}" + (direction == 1 ? "_reverse" : "");
                long layerInput = layer == 0 ? inputSize : directions * hiddenSize;
                yield return ("weight_ih" + suffix, [gateRows, layerInput]);
                yield return ("weight_hh" + suffix, [gateRows, hiddenSize]);
                if (!bias) continue;
                yield return ("bias_ih" + suffix, [gateRows]);
                yield return ("bias_hh" + suffix, [gateRows]);
            }
    }
}
