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
    /// LSTM only: P, the size of the projected hidden state (PyTorch's <c>proj_size</c>; 0, the default, for none). With
    /// 0 &lt; P &lt; H, each step's output is h_t = W_hr (o_t * tanh(c_t)) with <c>weight_hr_l{k}</c> (P x H): the outputs,
    /// h0, hT and the recurrent input are P wide (2P for a bidirectional layer's output), W_hh is 4H x P and the layers above
    /// the first take D*P inputs; c0 and cT stay H wide. The parameters must be made with the same size.
    /// </summary>
    public int ProjectionSize { get; init; }
}
