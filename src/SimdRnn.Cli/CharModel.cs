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

    public Dictionary<string, Safetensors.Tensor> ToTensors()
    {
        var tensors = Rnn.Names.ToDictionary(name => "rnn." + name, name => new Safetensors.Tensor(Rnn.Shape(name), Rnn[name].ToArray()));
        tensors["fc.weight"] = new([Vocabulary, Hidden], (float[])FcWeight.Clone());
        tensors["fc.bias"] = new([Vocabulary], (float[])FcBias.Clone());
        return tensors;
    }

    /// <summary>Loads tensors written by <see cref="ToTensors"/>; a missing tensor or a wrong shape is a <see cref="CliException"/>.</summary>
    public void Load(IReadOnlyDictionary<string, Safetensors.Tensor> tensors, string source)
    {
        void CopyInto(string name, int[] shape, Span<float> target)
        {
            if (!tensors.TryGetValue(name, out Safetensors.Tensor? tensor))
                throw new CliException($"checkpoint '{source}' has no tensor '{name}'");
            if (!tensor.Shape.SequenceEqual(shape))
                throw new CliException($"checkpoint '{source}': '{name}' has shape [{string.Join(",", tensor.Shape)}], the model needs [{string.Join(",", shape)}]");
            tensor.Data.CopyTo(target);
        }

        foreach (string name in Rnn.Names) CopyInto("rnn." + name, Rnn.Shape(name), Rnn[name].Span);
        CopyInto("fc.weight", [Vocabulary, Hidden], FcWeight);
        CopyInto("fc.bias", [Vocabulary], FcBias);
    }
}
