using System.Globalization;

namespace SimdRnn.Cli;

/// <summary>
/// The benchmark problems of native-compare/problems.tsv (conventions in native-compare/PROBLEMS.md), the one table
/// every harness reads. The CLI embeds the file: it ships as a tool package and must not need the repository.
/// Parsed as strictly as the native harnesses do (native-compare/problem_table.h); perf/SimdRnn.Benchmarks links this file.
/// </summary>
internal sealed record ProblemTable(IReadOnlyList<GemmProblem> Gemm, IReadOnlyList<RnnProblem> Rnn)
{
    public const string Header = "id\tkind\tcell\tI\tH\tP\tN\tT\tmode\tM\tK\ta_transposed\torigin";
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
            if (fields[Column.Origin].Length == 0) throw row.Error("empty origin");
            switch (fields[Column.Kind])
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
        (CellKind cell, bool linearBeforeReset) = row.Fields[Column.Cell] switch
        {
            "lstm" => (CellKind.Lstm, true),
            "gru" => (CellKind.Gru, true),
            "gru-reset-first" => (CellKind.Gru, false),
            "rnn-tanh" => (CellKind.RnnTanh, true),
            _ => throw row.Error("unknown cell (lstm, gru, gru-reset-first, rnn-tanh)"),
        };
        RnnMode mode = row.Fields[Column.Mode] switch
        {
            "train" => RnnMode.Train,
            "infer" => RnnMode.Infer,
            "stream" => RnnMode.Stream,
            _ => throw row.Error("unknown mode (train, infer, stream)"),
        };
        const string sizes = "I, H, N, T must be integers in [1, 1000000] and M, K '-'";
        row.Unused([Column.M, Column.K], sizes);
        row.Unused([Column.ATransposed], "an rnn problem has no a_transposed ('-')");
        int hidden = row.Size(Column.H, sizes);
        int projection = 0;
        if (row.Fields[Column.P] != "-")
        {
            if (cell != CellKind.Lstm) throw row.Error("only an lstm problem has a projection P (others '-')");
            projection = row.Size(Column.P, "P must be '-' or an integer in [1, 1000000]");
            if (projection >= hidden) throw row.Error("the projection P must be smaller than H");
        }

        return new RnnProblem(row.Id, cell, row.Size(Column.I, sizes), hidden, row.Size(Column.N, sizes), row.Size(Column.T, sizes),
            mode, row.Fields[Column.Origin], projection, linearBeforeReset);
    }

    private static GemmProblem ParseGemm(Row row)
    {
        const string sizes = "M, N, K must be integers in [1, 1000000] and I, H, P, T '-'";
        row.Unused([Column.Cell, Column.Mode], "a gemm problem has no cell or mode ('-')");
        row.Unused([Column.I, Column.H, Column.P, Column.T], sizes);
        MatrixOp opA = row.Fields[Column.ATransposed] switch
        {
            "no" => MatrixOp.None,
            "yes" => MatrixOp.Transpose,
            _ => throw row.Error("a_transposed must be yes or no"),
        };
        return new GemmProblem(row.Id, row.Size(Column.M, sizes), row.Size(Column.N, sizes), row.Size(Column.K, sizes), opA, row.Fields[Column.Origin]);
    }

    private static ProblemTable LoadEmbedded()
    {
        using Stream stream = typeof(ProblemTable).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the assembly has no embedded resource {ResourceName}");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), "problems.tsv (embedded)");
    }

    /// <summary>The index of each column of <see cref="Header"/>, named as it is.</summary>
    private static class Column
    {
        public const int Id = 0, Kind = 1, Cell = 2, I = 3, H = 4, P = 5, N = 6, T = 7, Mode = 8, M = 9, K = 10, ATransposed = 11, Origin = 12;
    }

    /// <summary>One data line and where it stands, for error messages.</summary>
    private sealed record Row(string Source, int Line, string[] Fields)
    {
        public string Id => Fields[Column.Id];

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
