using System.Xml.Linq;
using SimdRnn.Cli;

namespace SimdRnn.Tests.Cli;

public class CliPieceTests
{
    [Fact]
    public void Checkpoint_that_is_missing_or_garbage_is_a_cli_error()
    {
        string path = Path.Combine(Path.GetTempPath(), $"simdrnn-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, [200, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3]);
        try
        {
            Assert.Contains("not a valid checkpoint", Assert.Throws<CliException>(() => CharModel.OpenCheckpoint(path)).Message);
            Assert.Contains("cannot read", Assert.Throws<CliException>(() => CharModel.OpenCheckpoint(path + ".missing")).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Bundled_corpus_is_tinyshakespeare_split_90_10()
    {
        Corpus corpus = Corpus.LoadDefault();
        Assert.Equal(1_115_394, corpus.Tokens.Length);
        Assert.Equal(65, corpus.Vocabulary.Length);
        Assert.Equal(corpus.Tokens.Length * 9 / 10, corpus.Train.Length);
        Assert.StartsWith("First Citizen:", corpus.Decode(corpus.Tokens.AsSpan(0, 20)));
    }

    [Fact]
    public void Text_files_must_exist_and_be_utf8()
    {
        string path = Path.Combine(Path.GetTempPath(), $"simdrnn-{Guid.NewGuid():N}.txt");
        try
        {
            File.WriteAllBytes(path, [0x61, 0xff, 0x62]);
            Assert.Contains("not valid UTF-8", Assert.Throws<CliException>(() => Corpus.LoadFile(path, 2)).Message);
            File.WriteAllText(path, "héllo wörld");
            Assert.Equal(11, Corpus.LoadFile(path, 2).Tokens.Length);
            Assert.Contains("at least", Assert.Throws<CliException>(() => Corpus.LoadFile(path, 100)).Message);
            Assert.Contains("cannot read", Assert.Throws<CliException>(() => Corpus.LoadFile(path + ".missing", 2)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Svg_chart_is_well_formed_and_skips_undrawable_points_on_a_log_axis()
    {
        string svg = new SvgChart("gradient <flow>", "t", "|dL/dh|", logY: true)
            .Add("lstm", [(0, 1e-3), (1, 1e-2), (2, 0), (3, double.NaN), (4, 1)])
            .Add("rnn", [(0, 1e-9), (4, 1e-1)])
            .Render();
        XDocument document = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var lines = document.Descendants(ns + "polyline").ToList();
        Assert.Equal(2, lines.Count);
        Assert.Equal(3, lines[0].Attribute("points")!.Value.Split(' ').Length);
        Assert.Contains("gradient &lt;flow&gt;", svg);
    }

    [Fact]
    public void Embedded_problem_table_has_every_problem_with_its_sizes()
    {
        ProblemTable table = ProblemTable.Embedded;
        Assert.Equal(["sq-1024", "sq-2048", "recur-512", "inproj-512", "dweight-512", "skinny-1"], table.Gemm.Select(p => p.Id));
        Assert.Equal(
            ["lstm-seed", "rnn-tanh", "lstm-256", "lstm-512", "lstm-1024", "gru-512", "lstm-1024-p256", "gru-512-rf", "lstm-512-b1",
                "lstm-1024-b4", "lstm-1024-p256-b4", "lstm-seed-infer", "gru-512-infer", "gru-512-rf-infer", "lstm-512-b64", "lstm-512-t1"],
            table.Rnn.Select(p => p.Id));
        Assert.Equal(new GemmProblem("dweight-512", 512, 2048, 1600, MatrixOp.Transpose,
            "weight gradient A^T*B over T*N (A given transposed)"), GemmProblem.Find("dweight-512"));
        Assert.Equal(new RnnProblem("lstm-seed", CellKind.Lstm, 65, 128, 32, 50, RnnMode.Train,
            "seed LSTM char model (D=vocab 65, H=128)"), RnnProblem.Find("lstm-seed"));
        Assert.Equal(new RnnProblem("gru-512-infer", CellKind.Gru, 512, 512, 32, 50, RnnMode.Infer, "batched GRU serving"),
            RnnProblem.Find("gru-512-infer"));
        RnnProblem stream = RnnProblem.Find("lstm-512-t1")!;
        Assert.Equal((1, 1, RnnMode.Stream), (stream.Batch, stream.Steps, stream.Mode));
        Assert.Equal(new RnnProblem("lstm-1024-p256", CellKind.Lstm, 1024, 1024, 64, 25, RnnMode.Train,
            "lstm-1024 with a projection to P=256 (PyTorch proj_size, oneDNN LSTMP)", Projection: 256), RnnProblem.Find("lstm-1024-p256"));
        RnnProblem resetFirst = RnnProblem.Find("gru-512-rf")!;
        Assert.Equal((CellKind.Gru, false, 0, 512, 32, 50), (resetFirst.Cell, resetFirst.LinearBeforeReset, resetFirst.Projection,
            resetFirst.Hidden, resetFirst.Batch, resetFirst.Steps));
        // Every other row: no projection, PyTorch's GRU form.
        Assert.All(table.Rnn.Where(p => p.Id is not ("lstm-1024-p256" or "lstm-1024-p256-b4" or "gru-512-rf" or "gru-512-rf-infer")),
            p => Assert.Equal((0, true), (p.Projection, p.LinearBeforeReset)));
    }

    [Theory]
    [InlineData("x\trnn\tlstm2\t1\t2\t-\t3\t4\ttrain\t-\t-\t-\to", "unknown cell")]
    [InlineData("x\trnn\tgru-reset-after\t1\t2\t-\t3\t4\ttrain\t-\t-\t-\to", "unknown cell")]
    [InlineData("x\trnn\tlstm\t1\t2\t-\t3\t4\tserve\t-\t-\t-\to", "unknown mode")]
    [InlineData("x\trnn\tlstm\t1\t2\t-\t3\t4\ttrain\t-\t-\t-", "12 tab-separated fields")]
    [InlineData("x\trnn\tlstm\t1\t2\t3\t4\ttrain\t-\t-\t-\to", "12 tab-separated fields")] // the table before column P
    [InlineData("x\trnn\tlstm\t0\t2\t-\t3\t4\ttrain\t-\t-\t-\to", "I, H, N, T must be")]
    [InlineData("x\trnn\tlstm\t1\t2\t-\t3\t4\ttrain\t5\t-\t-\to", "I, H, N, T must be")]
    [InlineData("x\trnn\tlstm\t1\t4\t0\t3\t4\ttrain\t-\t-\t-\to", "P must be '-' or an integer")]
    [InlineData("x\trnn\tlstm\t1\t4\t\t3\t4\ttrain\t-\t-\t-\to", "P must be '-' or an integer")]
    [InlineData("x\trnn\tlstm\t1\t4\t4\t3\t4\ttrain\t-\t-\t-\to", "the projection P must be smaller than H")]
    [InlineData("x\trnn\tgru\t1\t4\t2\t3\t4\ttrain\t-\t-\t-\to", "only an lstm problem has a projection P")]
    [InlineData("x\trnn\tgru-reset-first\t1\t4\t2\t3\t4\tinfer\t-\t-\t-\to", "only an lstm problem has a projection P")]
    [InlineData("x\trnn\trnn-tanh\t1\t4\t2\t3\t4\ttrain\t-\t-\t-\to", "only an lstm problem has a projection P")]
    [InlineData("x\tgemm\t-\t-\t-\t-\t3\t-\t-\t5\t06\tno\to", "M, N, K must be")]
    [InlineData("x\tgemm\t-\t-\t-\t2\t3\t-\t-\t5\t6\tno\to", "M, N, K must be integers in [1, 1000000] and I, H, P, T '-'")]
    [InlineData("x\tgemm\t-\t-\t-\t-\t3\t-\t-\t5\t6\tmaybe\to", "a_transposed must be yes or no")]
    [InlineData("x\tgemm\t-\t-\t-\t-\t3\t-\t-\t5\t6\tno\t", "empty origin")]
    [InlineData("x\tconv\t-\t-\t-\t-\t3\t-\t-\t5\t6\tno\to", "unknown kind")]
    [InlineData("x\tgemm\t-\t-\t-\t-\t3\t-\t-\t5\t6\tno\to\r", "carriage return")]
    public void Malformed_problem_row_is_refused_naming_its_line_and_id(string row, string expected)
    {
        const string good = "ok\tgemm\t-\t-\t-\t-\t8\t-\t-\t8\t8\tno\tfine\n";
        string text = ProblemTable.Header + "\n" + good + row + "\n";
        Assert.Single(ProblemTable.Parse(ProblemTable.Header + "\n" + good, "t.tsv").Gemm);
        string message = Assert.Throws<InvalidDataException>(() => ProblemTable.Parse(text, "t.tsv")).Message;
        Assert.StartsWith("t.tsv:3 (x): ", message);
        Assert.Contains(expected, message);
    }

    [Fact]
    public void Projection_and_gru_form_columns_parse()
    {
        string text = ProblemTable.Header + "\n" +
            "p\trnn\tlstm\t5\t4\t3\t2\t7\tinfer\t-\t-\t-\tprojected\n" +
            "r\trnn\tgru-reset-first\t5\t4\t-\t2\t7\ttrain\t-\t-\t-\treset first\n" +
            "g\trnn\tgru\t5\t4\t-\t2\t7\tstream\t-\t-\t-\tlinear before reset\n";
        Assert.Equal(
            [
                new RnnProblem("p", CellKind.Lstm, 5, 4, 2, 7, RnnMode.Infer, "projected", Projection: 3),
                new RnnProblem("r", CellKind.Gru, 5, 4, 2, 7, RnnMode.Train, "reset first", LinearBeforeReset: false),
                new RnnProblem("g", CellKind.Gru, 5, 4, 2, 7, RnnMode.Stream, "linear before reset"),
            ],
            ProblemTable.Parse(text, "t.tsv").Rnn);
    }

    [Fact]
    public void Problem_table_needs_its_header_and_unique_ids()
    {
        const string row = "a\tgemm\t-\t-\t-\t-\t8\t-\t-\t8\t8\tno\tfine\n";
        Assert.StartsWith("t.tsv:1: the header", Assert.Throws<InvalidDataException>(() => ProblemTable.Parse("id\tkind\n" + row, "t.tsv")).Message);
        Assert.Equal("t.tsv:3 (a): empty or duplicate id",
            Assert.Throws<InvalidDataException>(() => ProblemTable.Parse(ProblemTable.Header + "\n" + row + row, "t.tsv")).Message);
        Assert.Contains("no problems", Assert.Throws<InvalidDataException>(() => ProblemTable.Parse(ProblemTable.Header + "\n", "t.tsv")).Message);
    }
}
