using SimdRnn.Layers;
using SimdRnn.Serialization;

namespace SimdRnn;

public sealed partial class RecurrentParameters
{
    /// <summary>
    /// Loads the recurrent stack whose PyTorch state_dict tensors are under <paramref name="prefix"/> in a safetensors
    /// file (e.g. a <c>torch.nn.LSTM</c> saved as the module's <c>lstm</c> child: prefix <c>"lstm."</c>).
    /// </summary>
    /// <remarks>
    /// The shape is read from the file rather than asked for, because a state_dict carries it: the layer count and the
    /// directions are in the names (<c>weight_ih_l1_reverse</c>), H and the gate count in <c>weight_hh_l0</c> (G*H x H;
    /// 4 gates LSTM, 3 GRU, 1 RNN), I in <c>weight_ih_l0</c>, and biases or none (<c>bias=False</c>) from whether any
    /// <c>bias_</c> tensor is there; an LSTM's projection (PyTorch's <c>proj_size</c>) from <c>weight_hr_l0</c> (P x H, and then
    /// <c>weight_hh_l0</c> is 4H x P). Only a vanilla RNN's nonlinearity is not: pass
    /// <paramref name="cell"/>, or load a file from <see cref="WriteSafetensors"/>, which records it in the metadata
    /// <c>&lt;prefix&gt;cell</c>. To load into a stack of a shape you know (and have any other shape refused as such), use
    /// <see cref="ReadSafetensors"/> on <see cref="RecurrentStack.CreateParameters"/>. The tensors under the prefix must be
    /// exactly the stack's; the file's others are ignored. F32, F16 and BF16 are read, converted exactly to float32.
    /// See <see cref="SafetensorsReader"/> for what is checked in the file.
    /// </remarks>
    /// <param name="path">The .safetensors file.</param>
    /// <param name="prefix">What precedes the state_dict names, e.g. <c>"rnn."</c> or <c>"encoder.lstm."</c>; "" when none.</param>
    /// <param name="cell">The cell kind, required for a vanilla RNN whose file does not record it; given, it must agree with
    /// the file's gate count, and any metadata is ignored.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> or <paramref name="prefix"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cell"/> is not a defined <see cref="CellKind"/>.</exception>
    /// <exception cref="IOException">The file cannot be opened (<see cref="FileNotFoundException"/> and others).</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read.</exception>
    /// <exception cref="InvalidDataException">The file is not valid safetensors, or its tensors under the prefix are not
    /// exactly a stack's (the message lists what is missing, extra or of the wrong shape or dtype).</exception>
    public static RecurrentParameters LoadSafetensors(string path, string prefix = "", CellKind? cell = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ThrowIfInvalid(prefix, cell);
        using FileStream stream = StreamArguments.OpenRead(path);
        return Load(stream, prefix, cell);
    }

    /// <summary>Loads a stack from a safetensors file in a stream, as <see cref="LoadSafetensors(string, string, CellKind?)"/> does.</summary>
    /// <param name="stream">The file, from its first byte at the current position; left open. A stream that cannot seek is
    /// first read to its end into memory, so that no array is sized by what its header claims.</param>
    /// <param name="prefix">What precedes the state_dict names; "" when none.</param>
    /// <param name="cell">The cell kind, required for a vanilla RNN whose file does not record it.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> or <paramref name="prefix"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> cannot be read.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cell"/> is not a defined <see cref="CellKind"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not valid safetensors, or its tensors under the prefix are not exactly a stack's.</exception>
    public static RecurrentParameters LoadSafetensors(Stream stream, string prefix = "", CellKind? cell = null)
    {
        StreamArguments.ThrowIfUnreadable(stream, nameof(stream));
        ThrowIfInvalid(prefix, cell);
        if (stream.CanSeek) return Load(stream, prefix, cell);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        copy.Position = 0;
        return Load(copy, prefix, cell);
    }

    /// <summary>
    /// Reads these parameters from a safetensors file whose tensors under <paramref name="prefix"/> are exactly their
    /// PyTorch state_dict names (<see cref="Names"/>, prefixed) with their shapes; the file's other tensors are ignored.
    /// </summary>
    /// <remarks>The cell kind is the parameters' own: a file's <c>&lt;prefix&gt;cell</c> metadata is not consulted.</remarks>
    /// <param name="stream">The file, from its first byte at the current position; left open.</param>
    /// <param name="prefix">What precedes the state_dict names, e.g. <c>"rnn."</c>; "" when none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> or <paramref name="prefix"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> cannot be read.</exception>
    /// <exception cref="InvalidDataException">The file is not valid safetensors, or a tensor is missing, extra, or of another
    /// shape or dtype (the message lists them all; nothing was written). From a stream that cannot seek, a file that ends
    /// early or runs on is found while reading, and the parameters may then be partly overwritten.</exception>
    public void ReadSafetensors(Stream stream, string prefix = "")
    {
        StreamArguments.ThrowIfUnreadable(stream, nameof(stream));
        ArgumentNullException.ThrowIfNull(prefix);
        using var reader = new SafetensorsReader(stream, leaveOpen: true);
        reader.ReadExactly(Tensors(prefix), prefix, Description);
    }

    /// <summary>
    /// Writes these parameters as a safetensors file: F32 tensors named <paramref name="prefix"/> + the PyTorch state_dict
    /// names, which <c>module.load_state_dict(safetensors.torch.load_file(path))</c> takes, plus the metadata and the
    /// entry <c>&lt;prefix&gt;cell</c> (the <see cref="CellKind"/> name) that lets <see cref="LoadSafetensors(Stream, string, CellKind?)"/>
    /// tell a tanh RNN from a relu one.
    /// </summary>
    /// <param name="stream">Where the file goes, at its position; left open.</param>
    /// <param name="prefix">Put before every name, e.g. <c>"rnn."</c> for a module's <c>rnn</c> child; "" for none.</param>
    /// <param name="metadata">More "__metadata__" strings, or null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> or <paramref name="prefix"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> cannot be written; <paramref name="metadata"/> holds a null,
    /// a lone surrogate, or a <c>&lt;prefix&gt;cell</c> entry other than this cell; or <paramref name="prefix"/> holds a lone
    /// surrogate. Nothing is written then.</exception>
    public void WriteSafetensors(Stream stream, string prefix = "", IReadOnlyDictionary<string, string>? metadata = null)
    {
        StreamArguments.ThrowIfUnwritable(stream, nameof(stream));
        ArgumentNullException.ThrowIfNull(prefix);
        string key = RecurrentShapeInference.CellKey(prefix);
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string name, string value) in metadata ?? entries) entries[name] = value;
        if (entries.TryGetValue(key, out string? recorded) && recorded != Cell.ToString())
            ThrowHelper.ThrowArgument(nameof(metadata), $"Metadata '{key}' is '{recorded}', but it records these parameters' cell, {Cell}.");
        entries[key] = Cell.ToString();
        if (!StreamArguments.IsWellFormed(prefix)) ThrowHelper.ThrowArgument(nameof(prefix), "The prefix holds a lone surrogate, which a UTF-8 header cannot.");
        SafetensorsWriter.Write(stream, Tensors(prefix), entries);
    }

    private static RecurrentParameters Load(Stream stream, string prefix, CellKind? cell)
    {
        using var reader = new SafetensorsReader(stream, leaveOpen: true);
        RecurrentParameters parameters = RecurrentShapeInference.Create(reader.Header, prefix, cell);
        reader.ReadExactly(parameters.Tensors(prefix), prefix, parameters.Description);
        return parameters;
    }

    private static void ThrowIfInvalid(string prefix, CellKind? cell)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (cell is { } kind && !CellKinds.IsDefined(kind)) ThrowHelper.ThrowOutOfRange(nameof(cell), kind, "The cell must be a defined CellKind.");
    }

    private string Description => RecurrentShapeInference.Describe(Cell, InputSize, HiddenSize, Layers, Directions, Bias, ProjectionSize);

    /// <summary>The tensors over <see cref="All"/>, named with the prefix, in <see cref="Names"/> order.</summary>
    private SafetensorsTensor[] Tensors(string prefix) => [.. _names.Select(name => new SafetensorsTensor(prefix + name, Find(name).Shape, this[name]))];
}
