using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace SimdRnn.Cli;

/// <summary>
/// The typed options of the commands, on System.CommandLine: numbers are read in the invariant culture and checked
/// against their range while parsing, so a bad value is a parse error naming the option (exit code 2, no stack trace).
/// </summary>
internal static class CliOptions
{
    /// <summary>The cell names <c>--cell</c> accepts.</summary>
    public static readonly string[] CellNames = ["lstm", "gru", "rnn", "rnn-tanh", "rnn-relu"];

    /// <summary>An integer option from <paramref name="min"/> to <paramref name="max"/>, <paramref name="defaultValue"/> when not given.</summary>
    public static Option<int> Int(string name, string description, int defaultValue, int min, int max) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => ParseInt(result, min, max),
    };

    /// <summary>An integer option from <paramref name="min"/> to <paramref name="max"/>, null when not given.</summary>
    public static Option<int?> OptionalInt(string name, string description, int min, int max) => new(name)
    {
        Description = description,
        CustomParser = result => ParseInt(result, min, max),
    };

    /// <summary>A real option from <paramref name="min"/> to <paramref name="max"/>, <paramref name="defaultValue"/> when not given.</summary>
    public static Option<double> Double(string name, string description, double defaultValue, double min, double max) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            string text = Token(result);
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value >= min && value <= max) return value;
            result.AddError(string.Create(CultureInfo.InvariantCulture, $"{OptionName(result)} must be a number from {min} to {max}, not '{text}'"));
            return defaultValue;
        },
    };

    /// <summary>A text option (a path), <paramref name="defaultValue"/> when not given.</summary>
    public static Option<string> Text(string name, string description, string? defaultValue = null)
    {
        var option = new Option<string>(name) { Description = description };
        if (defaultValue != null) option.DefaultValueFactory = _ => defaultValue;
        return option;
    }

    /// <summary>
    /// <c>--cell</c>: one cell name, or with <paramref name="list"/> a comma-separated list of them; checked while
    /// parsing, read with <see cref="ParseCell"/>.
    /// </summary>
    public static Option<string> Cell(string description, string defaultValue, bool list)
    {
        var option = new Option<string>("--cell")
        {
            Description = description, DefaultValueFactory = _ => defaultValue, HelpName = list ? "CELL[,CELL...]" : "CELL",
        };
        option.CompletionSources.Add(CellNames);
        option.Validators.Add(result =>
        {
            string text = result.GetValueOrDefault<string>();
            string[] names = list ? text.Split(',') : [text];
            if (names.FirstOrDefault(name => !CellNames.Contains(name)) is { } unknown)
                result.AddError($"--cell: unknown cell '{unknown}'{(list ? $" in '{text}'" : "")} ({string.Join(", ", CellNames)}{(list ? ", or several separated by commas" : "")})");
        });
        return option;
    }

    /// <summary>The cell a name of <see cref="CellNames"/> stands for.</summary>
    public static CellKind ParseCell(string text) => text switch
    {
        "lstm" => CellKind.Lstm,
        "gru" => CellKind.Gru,
        "rnn" or "rnn-tanh" => CellKind.RnnTanh,
        "rnn-relu" => CellKind.RnnRelu,
        string other => throw new CliException($"unknown cell '{other}' ({string.Join(", ", CellNames)})"),
    };

    private static int ParseInt(ArgumentResult result, int min, int max)
    {
        string text = Token(result);
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max) return value;
        result.AddError(string.Create(CultureInfo.InvariantCulture, $"{OptionName(result)} must be a whole number from {min} to {max}, not '{text}'"));
        return min;
    }

    private static string Token(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";

    private static string OptionName(ArgumentResult result) => result.Parent is OptionResult option ? option.Option.Name : "the value";
}
