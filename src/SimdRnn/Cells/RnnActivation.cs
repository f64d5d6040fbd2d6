namespace SimdRnn;

/// <summary>The non-linearity of a vanilla RNN.</summary>
public enum RnnActivation
{
    /// <summary>h = tanh(...), PyTorch's default.</summary>
    Tanh,

    /// <summary>h = max(..., 0).</summary>
    Relu,
}
