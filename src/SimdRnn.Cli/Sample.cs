namespace SimdRnn.Cli;

/// <summary>Generates text from a model one character at a time (inference forward with T = N = 1).</summary>
internal static class Sample
{
    public static string Generate(CharModel model, char[] vocabulary, string prime, int length, Random random, double temperature = 1.0)
    {
        RecurrentStack stack = model.Stack;
        int v = model.Vocabulary, state = model.StateLength(1);
        float[] x = new float[v], y = new float[model.Hidden], logits = new float[v];
        float[] h = new float[state], c = new float[state], hNext = new float[state], cNext = new float[state];
        var workspace = new float[stack.WorkspaceLength(1, 1)];
        var index = new Dictionary<char, int>();
        for (int i = 0; i < vocabulary.Length; i++) index[vocabulary[i]] = i;
        var output = new System.Text.StringBuilder(prime);
        int current = -1;
        foreach (char ch in prime)
        {
            if (!index.TryGetValue(ch, out current)) throw new CliException($"the prime has '{ch}', which is not in the vocabulary");
            Step(current);
        }

        for (int i = 0; i < length; i++)
        {
            double max = logits.Max(), sum = 0;
            var p = new double[v];
            for (int k = 0; k < v; k++) sum += p[k] = Math.Exp((logits[k] - max) / temperature);
            double u = random.NextDouble() * sum;
            current = 0;
            while (current < v - 1 && (u -= p[current]) > 0) current++;
            output.Append(vocabulary[current]);
            Step(current);
        }

        return output.ToString();

        void Step(int token)
        {
            Array.Clear(x);
            x[token] = 1;
            stack.Forward(1, 1, x, h, c, model.Rnn, y, hNext, cNext, workspace, training: false);
            Linear.Forward(1, model.Hidden, v, y, model.FcWeight, model.FcBias, logits);
            hNext.CopyTo(h, 0);
            cNext.CopyTo(c, 0);
        }
    }

    /// <summary>simdrnn sample --load CHECKPOINT [--prime TEXT] [--length N] [--temperature T] [--seed S].</summary>
    public static int Run(string[] args)
    {
        var options = new Options(args);
        string path = options.String("load") ?? throw new CliException("sample needs --load CHECKPOINT (written by 'simdrnn train --save')");
        string prime = options.String("prime") ?? "\n";
        int length = options.Int("length", 500, 0, 1_000_000);
        double temperature = options.Double("temperature", 1.0, 1e-3, 100);
        int seed = options.Int("seed", 1, 0, int.MaxValue);
        options.ThrowIfUnused();

        using SafetensorsReader checkpoint = CharModel.OpenCheckpoint(path);
        string Meta(string key) => checkpoint.Metadata.TryGetValue(key, out string? value) ? value
            : throw new CliException($"checkpoint '{path}' has no '{key}' metadata (was it written by 'simdrnn train --save'?)");
        // "cell": checkpoints written before the key became the library's "<prefix>cell".
        string cellName = checkpoint.Metadata.TryGetValue("cell", out string? older) ? older : Meta("rnn.cell");
        CellKind cell = Enum.TryParse(cellName, out CellKind parsed) ? parsed : throw new CliException($"checkpoint '{path}': unknown cell '{cellName}'");
        char[] vocabulary = Meta("vocabulary").ToCharArray();
        if (!int.TryParse(Meta("hidden"), out int hidden) || hidden < 1 || !int.TryParse(Meta("layers"), out int layers) || layers < 1 || vocabulary.Length == 0)
            throw new CliException($"checkpoint '{path}' has inconsistent metadata");
        var model = new CharModel(cell, vocabulary.Length, hidden, layers);
        model.Load(checkpoint, path);
        Console.WriteLine(Generate(model, vocabulary, prime, length, new Random(seed), temperature));
        return 0;
    }
}
