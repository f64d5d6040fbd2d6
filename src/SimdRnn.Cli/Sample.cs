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
}
