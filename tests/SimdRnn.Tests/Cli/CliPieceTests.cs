using System.Text;
using System.Xml.Linq;
using SimdRnn.Cli;

namespace SimdRnn.Tests.Cli;

public class CliPieceTests
{
    [Fact]
    public void Safetensors_round_trip_keeps_names_shapes_values_and_metadata()
    {
        string path = Path.Combine(Path.GetTempPath(), $"simdrnn-{Guid.NewGuid():N}.safetensors");
        try
        {
            var tensors = new Dictionary<string, Safetensors.Tensor>
            {
                ["weight_ih_l0"] = new([8, 3], Enumerable.Range(0, 24).Select(i => i * 0.5f - 3).ToArray()),
                ["bias_ih_l0"] = new([8], [float.NaN, float.PositiveInfinity, -0f, 1e-40f, 1, 2, 3, 4]),
            };
            Safetensors.Write(path, tensors, new Dictionary<string, string> { ["cell"] = "lstm" });
            Assert.Empty(Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(path) + ".tmp-*"));
            (Dictionary<string, Safetensors.Tensor> read, Dictionary<string, string> metadata) = Safetensors.Read(path);
            Assert.Equal("lstm", metadata["cell"]);
            Assert.Equal(tensors.Keys.Order(), read.Keys.Order());
            foreach ((string name, Safetensors.Tensor tensor) in tensors)
            {
                Assert.Equal(tensor.Shape, read[name].Shape);
                Assert.Equal(tensor.Data.Select(BitConverter.SingleToInt32Bits), read[name].Data.Select(BitConverter.SingleToInt32Bits));
            }

            // The data section starts 8-byte aligned, and the header is what the format says.
            byte[] bytes = File.ReadAllBytes(path);
            Assert.Equal(0UL, BitConverter.ToUInt64(bytes) % 8);
            Assert.Contains("\"data_offsets\":[0,32]", Encoding.UTF8.GetString(bytes));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Safetensors_rejects_garbage_with_a_cli_error()
    {
        string path = Path.Combine(Path.GetTempPath(), $"simdrnn-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, [200, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3]);
        try
        {
            Assert.Contains("not a valid", Assert.Throws<CliException>(() => Safetensors.Read(path)).Message);
            Assert.Contains("cannot read", Assert.Throws<CliException>(() => Safetensors.Read(path + ".missing")).Message);
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
}
