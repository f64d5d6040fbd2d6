using SimdRnn.Onnx.Import;

namespace SimdRnn.Onnx;

/// <summary>
/// The recurrent layers of an ONNX model: each LSTM, GRU and RNN node of its graph, weights read from the graph's
/// initializers (or Constant nodes) into <see cref="RecurrentParameters"/> with the gates reordered to PyTorch's
/// layout, which SimdRnn uses. The rest of the graph (the Squeeze, Transpose, Reshape, Slice and Concat nodes an
/// exporter puts around them) is not run: the caller runs the nodes in <see cref="Nodes"/> order.
/// </summary>
/// <remarks>
/// <para>A node SimdRnn cannot run exactly is refused with a <see cref="NotSupportedException"/> naming the node and the
/// attribute or input (non-default activations, activation_alpha / activation_beta, clip, input_forget = 1, non-zero
/// peepholes, a constant sequence_lens, direction = reverse, external data). A GRU runs in the form its linear_before_reset
/// says (0, ONNX's default, or 1: <see cref="RecurrentStackOptions.LinearBeforeReset"/>).</para>
/// <para>A file that is not a well-formed ONNX model, or whose recurrent node's weights contradict its attributes, is
/// refused with an <see cref="InvalidDataException"/>; sizes in the file are checked against the bytes actually
/// present before anything is allocated from them.</para>
/// <para>PyTorch exports a multi-layer nn.LSTM / nn.GRU / nn.RNN as one node per layer: each is returned as its own
/// single-layer stack; the output y of one (SimdRnn's T x N x D*H layout, which is what the exporter's
/// Transpose/Reshape/Squeeze make of ONNX's Y) is the next one's input.</para>
/// </remarks>
public sealed class OnnxRecurrentModel
{
    private OnnxRecurrentModel(IReadOnlyList<OnnxRecurrentNode> nodes, long opsetVersion, string producerName)
    {
        Nodes = nodes;
        OpsetVersion = opsetVersion;
        ProducerName = producerName;
    }

    /// <summary>The LSTM, GRU and RNN nodes, in the graph's order (the order to run them).</summary>
    public IReadOnlyList<OnnxRecurrentNode> Nodes { get; }

    /// <summary>The version of the default ONNX operator set the model imports (0 when it names none).</summary>
    public long OpsetVersion { get; }

    /// <summary>The tool that wrote the model (e.g. "pytorch"), or empty.</summary>
    public string ProducerName { get; }

    /// <summary>Reads the ONNX model at <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="InvalidDataException">The file is not a well-formed ONNX model, has no LSTM, GRU or RNN node,
    /// or a recurrent node's weights or states are missing or contradict its attributes.</exception>
    /// <exception cref="NotSupportedException">A recurrent node uses something SimdRnn cannot run (the message names
    /// the node and the attribute or input).</exception>
    public static OnnxRecurrentModel Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using FileStream stream = File.OpenRead(path);
        return Load(stream);
    }

    /// <summary>Reads an ONNX model from <paramref name="stream"/> (to its end; the stream stays open).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> cannot be read.</exception>
    /// <exception cref="InvalidDataException">As for <see cref="Load(string)"/>.</exception>
    /// <exception cref="NotSupportedException">As for <see cref="Load(string)"/>.</exception>
    public static OnnxRecurrentModel Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
            throw new ArgumentException("The stream cannot be read.", nameof(stream));
        ModelFile file = ModelFile.Parse(ModelFile.ReadToEnd(stream));
        return new OnnxRecurrentModel(RecurrentNodeImport.ImportAll(file), file.OpsetVersion, file.ProducerName);
    }
}
