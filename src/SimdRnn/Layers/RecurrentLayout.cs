namespace SimdRnn.Layers;

/// <summary>
/// The one description of a stack's tensors: PyTorch's state_dict names and shapes in its order (per layer, per
/// direction: weight_ih, weight_hh, bias_ih, bias_hh, weight_hr; no bias tensors at all without biases, as PyTorch's
/// bias=False; weight_hr only with an LSTM projection, as PyTorch's proj_size). Sizes are long so that the safetensors
/// loader can compare the sizes a file claims before anything is allocated.
/// </summary>
internal static class RecurrentLayout
{
    /// <param name="gates">G.</param>
    /// <param name="inputSize">I.</param>
    /// <param name="hiddenSize">H.</param>
    /// <param name="layers">The layer count.</param>
    /// <param name="directions">1 or 2.</param>
    /// <param name="bias">Whether the bias tensors exist.</param>
    /// <param name="projectionSize">P (0: none): the hidden state and outputs are P wide, W_hh is G*H x P, and
    /// weight_hr (P x H) follows each direction's other tensors.</param>
    public static IEnumerable<(string Name, long[] Shape)> Tensors(int gates, long inputSize, long hiddenSize, int layers, int directions, bool bias = true,
        long projectionSize = 0)
    {
        long gateRows = gates * hiddenSize, state = projectionSize > 0 ? projectionSize : hiddenSize;
        for (int layer = 0; layer < layers; layer++)
            for (int direction = 0; direction < directions; direction++)
            {
                string suffix = $"_l{layer}" + (direction == 1 ? "_reverse" : "");
                long layerInput = layer == 0 ? inputSize : directions * state;
                yield return ("weight_ih" + suffix, [gateRows, layerInput]);
                yield return ("weight_hh" + suffix, [gateRows, state]);
                if (bias)
                {
                    yield return ("bias_ih" + suffix, [gateRows]);
                    yield return ("bias_hh" + suffix, [gateRows]);
                }

                if (projectionSize > 0) yield return ("weight_hr" + suffix, [projectionSize, hiddenSize]);
            }
    }
}
