namespace SimdRnn;

/// <summary>The recurrent cell of a layer, as PyTorch defines it (nn.LSTM, nn.GRU, nn.RNN).</summary>
public enum CellKind
{
    /// <summary>LSTM, gates i, f, g, o: c = f c + i g, h = o tanh(c).</summary>
    Lstm,

    /// <summary>GRU, gates r, z, n, with r applied to (h W_hn^T + b_hn) (oneDNN's linear-before-reset).</summary>
    Gru,

    /// <summary>Vanilla RNN, h = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh).</summary>
    RnnTanh,

    /// <summary>Vanilla RNN, h = relu(x W_ih^T + b_ih + h W_hh^T + b_hh).</summary>
    RnnRelu,
}
