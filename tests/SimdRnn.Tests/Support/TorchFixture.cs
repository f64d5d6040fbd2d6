using System.Text.Json;

namespace SimdRnn.Tests.Support;

/// <summary>
/// One PyTorch agreement case, written by native-compare/torch_fixtures.py (format in
/// native-compare/README-torch-fixtures.md) and copied next to the test assembly as
/// Fixtures/Torch/&lt;case&gt;.json. Tensors are row-major; names are PyTorch's state_dict names,
/// plus x, h0, c0, y, hT, cT, dy, dhT, dcT and "grad.&lt;name&gt;" for every gradient.
/// </summary>
public sealed class TorchFixture
{
    private readonly Dictionary<string, (int[] Shape, double[] Data)> _tensors;

    private TorchFixture(string name, string cell, int t, int n, int i, int h, int layers, bool bidirectional,
        string torchVersion, Dictionary<string, (int[] Shape, double[] Data)> tensors)
    {
        Name = name;
        Cell = cell;
        T = t;
        N = n;
        I = i;
        H = h;
        Layers = layers;
        Bidirectional = bidirectional;
        TorchVersion = torchVersion;
        _tensors = tensors;
    }

    /// <summary>A packed case's length per batch row (PyTorch's pack_padded_sequence), or null for a dense case.</summary>
    public int[]? Lengths { get; private init; }

    public static string FixtureDirectory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Torch");

    /// <summary>The case names (file names without .json), sorted ordinally.</summary>
    public static IEnumerable<string> Cases =>
        Directory.Exists(FixtureDirectory)
            ? Directory.EnumerateFiles(FixtureDirectory, "*.json")
                .Select(f => Path.GetFileNameWithoutExtension(f)!)
                .Order(StringComparer.Ordinal)
                .ToArray()
            : [];

    public string Name { get; }
    /// <summary>"lstm", "gru", "rnn_tanh" or "rnn_relu".</summary>
    public string Cell { get; }
    public int T { get; }
    public int N { get; }
    public int I { get; }
    public int H { get; }
    public int Layers { get; }
    public bool Bidirectional { get; }
    public int Directions => Bidirectional ? 2 : 1;
    /// <summary>Gate count G: 4 (LSTM), 3 (GRU), 1 (RNN).</summary>
    public int Gates => Cell switch { "lstm" => 4, "gru" => 3, _ => 1 };
    public string TorchVersion { get; }
    public IEnumerable<string> TensorNames => _tensors.Keys;

    public bool Has(string name) => _tensors.ContainsKey(name);

    public static TorchFixture Load(string caseName)
    {
        string path = Path.Combine(FixtureDirectory, caseName + ".json");
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"Torch fixture '{caseName}' not found at {path} (regenerate with native-compare/torch_fixtures.py; " +
                "the test project copies Fixtures/**/*.json to its output).", path);

        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        var tensors = new Dictionary<string, (int[], double[])>(StringComparer.Ordinal);
        foreach (var property in root.GetProperty("tensors").EnumerateObject())
        {
            int[] shape = property.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            double[] data = property.Value.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            long count = shape.Aggregate(1L, (a, d) => a * d);
            if (count != data.Length)
                throw new InvalidDataException(
                    $"Torch fixture '{caseName}', tensor '{property.Name}': shape [{string.Join(", ", shape)}] " +
                    $"holds {count} values but data has {data.Length}.");
            tensors.Add(property.Name, (shape, data));
        }

        return new TorchFixture(caseName,
            root.GetProperty("cell").GetString()!,
            root.GetProperty("T").GetInt32(), root.GetProperty("N").GetInt32(),
            root.GetProperty("I").GetInt32(), root.GetProperty("H").GetInt32(),
            root.GetProperty("layers").GetInt32(), root.GetProperty("bidirectional").GetBoolean(),
            root.GetProperty("torch_version").GetString()!, tensors)
        {
            // The options a case sets (written only when not PyTorch's default).
            Bias = !root.TryGetProperty("bias", out JsonElement bias) || bias.GetBoolean(),
            BatchFirst = root.TryGetProperty("batch_first", out JsonElement batchFirst) && batchFirst.GetBoolean(),
            Dropout = root.TryGetProperty("dropout", out JsonElement dropout) ? dropout.GetDouble() : 0,
            DropoutSeed = root.TryGetProperty("dropout_seed", out JsonElement seed) ? seed.GetUInt64() : 0,
            Lengths = root.TryGetProperty("lengths", out JsonElement lengths) ? [.. lengths.EnumerateArray().Select(e => e.GetInt32())] : null,
            ProjectionSize = root.TryGetProperty("proj_size", out JsonElement projection) ? projection.GetInt32() : 0,
        };
    }

    /// <summary>False for a module made with bias=False (no bias tensors).</summary>
    public bool Bias { get; private init; } = true;

    /// <summary>x, y, dy and grad.x are N x T x ... (PyTorch's batch_first).</summary>
    public bool BatchFirst { get; private init; }

    /// <summary>Dropout between layers with SimdRnn's mask of <see cref="DropoutSeed"/> (0: none).</summary>
    public double Dropout { get; private init; }

    public ulong DropoutSeed { get; private init; }

    /// <summary>An LSTM's projection P (PyTorch's proj_size), or 0 for none.</summary>
    public int ProjectionSize { get; private init; }

    /// <summary>The width of h0, hT and a direction's output: P with a projection, else H.</summary>
    public int S => ProjectionSize > 0 ? ProjectionSize : H;

    /// <summary>Whether the case sets any option beyond PyTorch's defaults.</summary>
    public bool HasOptions => !Bias || BatchFirst || Dropout > 0 || Lengths is not null || ProjectionSize > 0;

    /// <summary>The shape of x (width I) or y (width D*H): T x N x width, or N x T x width batch-first.</summary>
    public int[] SequenceShape(int width) => BatchFirst ? [N, T, width] : [T, N, width];

    /// <summary>The tensor's values (a copy), as stored: float64.</summary>
    public double[] Double(string name) => (double[])Get(name).Data.Clone();

    /// <summary>The tensor's shape (a copy).</summary>
    public int[] Shape(string name) => (int[])Get(name).Shape.Clone();

    /// <summary>
    /// The tensor as float32. Only for the inputs (x, h0, c0, weights, dy, dhT, dcT), which the script
    /// rounds to float32 precision; throws if any value is not exactly representable.
    /// </summary>
    public float[] Float(string name)
    {
        double[] data = Get(name).Data;
        var result = new float[data.Length];
        for (int k = 0; k < data.Length; k++)
        {
            float f = (float)data[k];
            if ((double)f != data[k])
                throw new InvalidDataException(
                    $"Torch fixture '{Name}', tensor '{name}'[{k}] = {data[k]:R} is not exactly representable as float " +
                    "(only the inputs are float32-representable; read outputs and gradients with Double).");
            result[k] = f;
        }
        return result;
    }

    private (int[] Shape, double[] Data) Get(string name) =>
        _tensors.TryGetValue(name, out var tensor)
            ? tensor
            : throw new KeyNotFoundException(
                $"Torch fixture '{Name}' has no tensor '{name}'; it has: {string.Join(", ", _tensors.Keys)}.");

    public override string ToString() => Name;
}
