using System.Globalization;

namespace SimdRnn.Cli;

/// <summary>--name value options; every error is a one-line <see cref="CliException"/>.</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = [];

    public Options(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new CliException($"expected '--option value', got '{args[i]}'");
            _values[args[i][2..]] = args[++i];
        }
    }

    public string? String(string name)
    {
        _used.Add(name);
        return _values.GetValueOrDefault(name);
    }

    public int Int(string name, int fallback, int min, int max)
    {
        string? text = String(name);
        if (text == null) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
            throw new CliException($"--{name} must be a whole number from {min} to {max}, not '{text}'");
        return value;
    }

    public double Double(string name, double fallback, double min, double max)
    {
        string? text = String(name);
        if (text == null) return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value >= min && value <= max))
            throw new CliException($"--{name} must be a number from {min} to {max}, not '{text}'");
        return value;
    }

    public CellKind Cell(string name, CellKind fallback) => String(name) is { } text ? ParseCell(text) : fallback;

    public static CellKind ParseCell(string text) => text switch
    {
        "lstm" => CellKind.Lstm,
        "gru" => CellKind.Gru,
        "rnn" or "rnn-tanh" => CellKind.RnnTanh,
        "rnn-relu" => CellKind.RnnRelu,
        string other => throw new CliException($"unknown cell '{other}' (lstm, gru, rnn, rnn-relu)"),
    };

    /// <summary>Rejects options nobody asked for (typos).</summary>
    public void ThrowIfUnused()
    {
        string? unknown = _values.Keys.FirstOrDefault(k => !_used.Contains(k));
        if (unknown != null) throw new CliException($"unknown option '--{unknown}'");
    }
}
