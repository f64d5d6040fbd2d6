namespace SimdRnn;

/// <summary>
/// The options of a <see cref="RecurrentStack"/> beyond its cell and sizes, as PyTorch's nn.LSTM / nn.GRU / nn.RNN
/// arguments of the same names. The defaults are PyTorch's.
/// </summary>
public sealed class RecurrentStackOptions
{
    /// <summary>
    /// Whether the layers have biases (PyTorch's <c>bias</c>, default true). Without, the parameters hold no bias tensors
    /// at all (<c>weight_ih_l{k}</c> and <c>weight_hh_l{k}</c> only, as PyTorch's state_dict with <c>bias=False</c>), the
    /// gates get no bias term (the GRU's <c>b_hn</c> inside <c>r * (...)</c> is simply absent) and backward writes no bias gradients.
    /// </summary>
    public bool Bias { get; init; } = true;

    /// <summary>
    /// Whether x, y, dy and dx are batch-first, N x T x I and N x T x (D*H) (PyTorch's <c>batch_first</c>, Keras' layout), instead
    /// of time-major T x N x ...; h0, hT, c0, cT stay (layers*D) x N x H as in PyTorch. Nothing is copied: the whole-sequence
    /// products run over the rows in batch-major order and each step reads and writes its rows with a stride.
    /// </summary>
    public bool BatchFirst { get; init; }

    /// <summary>
    /// GRU only: where the reset gate r applies in the candidate n. True (the default): to the recurrent product with its
    /// bias, n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), as PyTorch's nn.GRU, cuDNN, ONNX with <c>linear_before_reset = 1</c>
    /// and Keras with <c>reset_after=True</c> (TensorFlow 2's default) compute it. False: to h before the product,
    /// n = tanh(W_in x + b_in + W_hn (r * h) + b_hn), as ONNX's default <c>linear_before_reset = 0</c> and Keras with
    /// <c>reset_after=False</c> (TensorFlow 1) compute it. Both take the same parameters (gates r, z, n in PyTorch's order
    /// and names); only the formula differs. Setting it false for another cell kind is refused.
    /// </summary>
    public bool LinearBeforeReset { get; init; } = true;
}
