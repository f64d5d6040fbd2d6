namespace SimdRnn.Cli;

/// <summary>
/// The character-level language model: one-hot input, a <see cref="RecurrentStack"/>, a linear decoder and softmax
/// cross-entropy. Parameter names follow PyTorch's state_dict of a module with <c>rnn</c> (nn.LSTM / nn.GRU / nn.RNN)
/// and <c>fc</c> (nn.Linear) children.
/// </summary>
internal sealed class CharModel
{
    public CharModel(CellKind cell, int vocabulary, int hidden, int layers)
    {
        Vocabulary = vocabulary;
        Hidden = hidden;
        Stack = new RecurrentStack(cell, vocabulary, hidden, layers);
        Rnn = Stack.CreateParameters();
        FcWeight = new float[vocabulary * hidden];
        FcBias = new float[vocabulary];
    }

    public int Vocabulary { get; }
    public int Hidden { get; }
    public RecurrentStack Stack { get; }
    public RecurrentParameters Rnn { get; }
    public float[] FcWeight { get; }
    public float[] FcBias { get; }
    public int StateLength(int batch) => Stack.Layers * batch * Hidden;

    /// <summary>PyTorch's default initialisation: uniform(-1/sqrt(H), 1/sqrt(H)) for the recurrent and linear parameters.</summary>
    public void Initialize(Random random)
    {
        float bound = 1f / MathF.Sqrt(Hidden);
        foreach (float[] tensor in new[] { Rnn.All, FcWeight, FcBias })
            for (int i = 0; i < tensor.Length; i++) tensor[i] = (float)(random.NextDouble() * 2 - 1) * bound;
    }

    /// <summary>Every parameter by its state_dict name, over the model's own arrays (what a checkpoint holds).</summary>
    public IEnumerable<SafetensorsTensor> Tensors() =>
        [.. Rnn.Names.Select(name => new SafetensorsTensor("rnn." + name, Rnn.Shape(name), Rnn[name])),
            new("fc.weight", [Vocabulary, Hidden], FcWeight), new("fc.bias", [Vocabulary], FcBias)];

    /// <summary>Writes a checkpoint atomically: a temporary file beside the target, then a rename, so an interrupted run loses nothing.</summary>
    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        string temporary = path + ".tmp-" + Environment.ProcessId;
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            SafetensorsWriter.Write(stream, Tensors(), metadata);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Opens a checkpoint; an unreadable or invalid file is a <see cref="CliException"/>.</summary>
    public static SafetensorsReader OpenCheckpoint(string path)
    {
        try
        {
            return new SafetensorsReader(path);
        }
        catch (Exception error) when (error is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliException(error is InvalidDataException ? $"'{path}' is not a valid checkpoint: {error.Message}" : $"cannot read checkpoint '{path}': {error.Message}");
        }
    }

    /// <summary>Reads the tensors <see cref="Tensors"/> names; a missing tensor or a wrong shape is a <see cref="CliException"/>.</summary>
    public void Load(SafetensorsReader checkpoint, string source)
    {
        try
        {
            checkpoint.Read(Tensors());
        }
        catch (Exception error) when (error is InvalidDataException or IOException)
        {
            throw new CliException($"checkpoint '{source}' does not fit this model: {error.Message}");
        }
    }
}
