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

    /// <summary>
    /// The probability p in [0, 1) that a training forward zeroes an element of each layer's output except the last
    /// (PyTorch's <c>dropout</c>, default 0; with one layer it has no effect); kept elements are scaled by 1/(1-p)
    /// (inverted dropout), and backward applies the same mask. Inference (<c>training: false</c>) ignores it.
    /// </summary>
    /// <remarks>
    /// <para>The mask is a function of (<c>dropoutSeed</c>, layer, time step t, batch row n, unit u) and of nothing else:
    /// n is the row's index in the caller's batch (also with variable lengths, where the layers run on rows sorted by
    /// length), u the element's index in the layer's D*H output (D*P with a projection; forward units first, then reverse). So the same seed
    /// gives the same mask on any thread count, SIMD path and layout (batch-first or not, prepared weights or not), and
    /// a batch row's results (outputs, states, gradients) depend only on its own inputs, its length, its index n and the
    /// seed: other rows, their lengths and the batch size beyond n change none of its bits. A row is therefore bitwise
    /// what it gives alone only at index 0; elsewhere it is what it gives at the same index of any batch. The training
    /// forward keeps the seed in the workspace for its backward.</para>
    /// <para>PyTorch accepts p = 1 (every inner output zeroed: the layers below the top one get no gradient); this
    /// library refuses it, as it refuses p outside [0, 1) and NaN. Masks are drawn from a counter-based hash, not
    /// PyTorch's generator, so they differ from PyTorch's even for the same seed (same distribution).</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in [0, 1) (NaN included).</exception>
    public float Dropout
    {
        get => _dropout;
        init
        {
            if (!(value >= 0f && value < 1f))
                ThrowHelper.ThrowOutOfRange(nameof(Dropout), value, "The dropout probability must be in [0, 1) (PyTorch's 1, which zeroes every inner output, is refused).");
            _dropout = value;
        }
    }

    private readonly float _dropout;

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
