using System.Globalization;

namespace SimdRnn.Cli;

/// <summary>
/// The benchmark problems of native-compare/problems.tsv (conventions in native-compare/PROBLEMS.md), the one table
/// every harness reads. The CLI embeds the file: it ships as a tool package and must not need the repository.
/// Parsed as strictly as the native harnesses do (native-compare/problem_table.h); perf/SimdRnn.Benchmarks links this file.
/// </summary>
internal sealed record ProblemTable(IReadOnlyList<GemmProblem> Gemm, IReadOnlyList<RnnProblem> Rnn)
{
    public const string Header = "id\tkind\tcell\tI\tH\tN\tT\tmode\tM\tK\ta_transposed\torigin";
    public const string ResourceName = "SimdRnn.Cli.problems.tsv";
    private const int MaxSize = 1_000_000;
    private static readonly int ColumnCount = Header.Split('\t').Length;
    private static readonly Lazy<ProblemTable> EmbeddedTable = new(LoadEmbedded);

    /// <summary>The table embedded at build time; a malformed one throws on first use.</summary>
    public static ProblemTable Embedded => EmbeddedTable.Value;

    /// <summary>Parses the text of a table; a malformed row is an <see cref="InvalidDataException"/> naming its line and id.</summary>
    public static ProblemTable Parse(string text, string source)
    {
        string[] lines = text.Split('\n');
        int count = text.EndsWith('\n') ? lines.Length - 1 : lines.Length; // the newline that ends the last row
        if (lines[0] != Header)
            throw new InvalidDataException($"{source}:1: the header must be the tab-separated columns: {Header.Replace('\t', ' ')}");
        var gemm = new List<GemmProblem>();
        var rnn = new List<RnnProblem>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 1; i < count; i++)
        {
            string[] fields = lines[i].Split('\t');
            var row = new Row(source, i + 1, fields);
            if (lines[i].Length == 0) throw row.Error("empty line");
            if (lines[i].Contains('\r')) throw row.Error("a carriage return (the table has LF line ends)");
            if (fields.Length != ColumnCount) throw row.Error($"{fields.Length} tab-separated fields, not {ColumnCount}");
            if (row.Id.Length == 0 || !ids.Add(row.Id)) throw row.Error("empty or duplicate id");
            if (fields[11].Length == 0) throw row.Error("empty origin");
            switch (fields[1])
            {
                case "rnn":
                    rnn.Add(ParseRnn(row));
                    break;
                case "gemm":
                    gemm.Add(ParseGemm(row));
                    break;
                default:
                    throw row.Error("unknown kind (rnn, gemm)");
            }
        }

        if (ids.Count == 0) throw new InvalidDataException($"{source} has no problems");
        return new ProblemTable(gemm, rnn);
    }

    private static RnnProblem ParseRnn(Row row)
    {
        CellKind cell = row.Fields[2] switch
        {
            "lstm" => CellKind.Lstm,
            "gru" => CellKind.Gru,
            "rnn-tanh" => CellKind.RnnTanh,
            _ => throw row.Error("unknown cell (lstm, gru, rnn-tanh)"),
        };
        RnnMode mode = row.Fields[7] switch
        {
            "train" => RnnMode.Train,
            "infer" => RnnMode.Infer,
            "stream" => RnnMode.Stream,
            _ => throw row.Error("unknown mode (train, infer, stream)"),
        };
        const string sizes = "I, H, N, T must be integers in [1, 1000000] and M, K '-'";
        row.Unused([8, 9], sizes);
        row.Unused([10], "an rnn problem has no a_transposed ('-')");
        return new RnnProblem(row.Id, cell, row.Size(3, sizes), row.Size(4, sizes), row.Size(5, sizes), row.Size(6, sizes),
            mode, row.Fields[11]);
    }

    private static GemmProblem ParseGemm(Row row)
    {
        const string sizes = "M, N, K must be integers in [1, 1000000] and I, H, T '-'";
        row.Unused([2, 7], "a gemm problem has no cell or mode ('-')");
        row.Unused([3, 4, 6], sizes);
        MatrixOp opA = row.Fields[10] switch
        {
            "no" => MatrixOp.None,
            "yes" => MatrixOp.Transpose,
            _ => throw row.Error("a_transposed must be yes or no"),
        };
        return new GemmProblem(row.Id, row.Size(8, sizes), row.Size(5, sizes), row.Size(9, sizes), opA, row.Fields[11]);
    }

    private static ProblemTable LoadEmbedded()
    {
        using Stream stream = typeof(ProblemTable).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the assembly has no embedded resource {ResourceName}");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), "problems.tsv (embedded)");
    }

    /// <summary>One data line and where it stands, for error messages.</summary>
    private sealed record Row(string Source, int Line, string[] Fields)
    {
        public string Id => Fields[0];

        public InvalidDataException Error(string message) => new($"{Source}:{Line} ({Id}): {message}");

        /// <summary>A size: digits, no sign or leading zero, in [1, MaxSize].</summary>
        public int Size(int column, string message)
        {
            string text = Fields[column];
            bool valid = text.Length is > 0 and <= 7 && text[0] != '0' && text.All(char.IsAsciiDigit);
            int value = valid ? int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture) : 0;
            return valid && value <= MaxSize ? value : throw Error(message);
        }

        /// <summary>Columns the row's kind does not use must say so with "-".</summary>
        public void Unused(int[] columns, string message)
        {
            if (columns.Any(column => Fields[column] != "-")) throw Error(message);
        }
    }
}
