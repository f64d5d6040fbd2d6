using System.CommandLine;

namespace SimdRnn.Cli;

/// <summary>simdrnn sample: text generated one character at a time from a checkpoint of <c>simdrnn train --save</c>.</summary>
internal sealed class SampleCommand : Command
{
    private readonly Option<string> _load = new("--load") { Description = "The checkpoint, written by 'simdrnn train --save'.", Required = true };
    private readonly Option<string> _prime = CliOptions.Text("--prime", "Text to start from; the sample continues it (default: a newline).");
    private readonly Option<int> _length = CliOptions.Int("--length", "Characters to generate.", 500, 0, 1_000_000);
    private readonly Option<double> _temperature = CliOptions.Double("--temperature", "Softmax temperature: below 1 more likely characters, above 1 more varied ones.", 1.0, 1e-3, 100);
    private readonly Option<int> _seed = CliOptions.Int("--seed", "Seed of the sampling.", 1, 0, int.MaxValue);

    public SampleCommand()
        : base("sample", "Generate text from a checkpoint of 'simdrnn train --save'.")
    {
        foreach (Option option in new Option[] { _load, _prime, _length, _temperature, _seed }) Options.Add(option);
        SetAction(Run);
    }

    private int Run(ParseResult parse)
    {
        string path = parse.GetValue(_load)!;
        string prime = parse.GetValue(_prime) ?? "\n";
        int length = parse.GetValue(_length);
        double temperature = parse.GetValue(_temperature);
        int seed = parse.GetValue(_seed);

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
        Console.WriteLine(Sample.Generate(model, vocabulary, prime, length, new Random(seed), temperature));
        return 0;
    }
}
