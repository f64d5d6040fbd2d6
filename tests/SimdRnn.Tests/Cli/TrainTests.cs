using SimdRnn.Cli;

namespace SimdRnn.Tests.Cli;

public class TrainTests
{
    private static string WriteText(string text)
    {
        string path = Path.Combine(Path.GetTempPath(), $"simdrnn-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void A_few_hundred_steps_on_a_short_text_lower_the_loss()
    {
        string text = string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 60));
        var corpus = Corpus.LoadFile(WriteText(text), 100);
        foreach ((CellKind cell, float dropout) in new[] { (CellKind.Lstm, 0f), (CellKind.Gru, 0f), (CellKind.RnnTanh, 0f), (CellKind.Lstm, 0.2f) })
        {
            var model = new CharModel(cell, corpus.Vocabulary.Length, 24, 1);
            model.Initialize(new Random(5));
            var trainer = new Trainer(model, steps: 16, batch: 4, dropout);
            int streamLength = corpus.Train.Length / 4;
            double before = trainer.Evaluate(corpus.Validation, int.MaxValue);
            int position = 0;
            for (int step = 1; step <= 300; step++)
            {
                if (position + 17 > streamLength)
                {
                    position = 0;
                    trainer.ResetState();
                }

                trainer.TrainStep(corpus.Train, streamLength, position, step, 1e-2f, 5f);
                position += 16;
            }

            double after = trainer.Evaluate(corpus.Validation, int.MaxValue);
            Assert.True(after < 0.5 * before, $"{cell} dropout {dropout}: validation loss {before:F3} -> {after:F3}");
        }
    }

    [Fact]
    public void Checkpoint_round_trip_and_wrong_shape_is_a_one_line_error()
    {
        var model = new CharModel(CellKind.Lstm, 11, 7, 2);
        model.Initialize(new Random(1));
        string path = Path.Combine(Path.GetTempPath(), $"simdrnn-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            Assert.Empty(Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(path) + ".tmp-*"));
            var copy = new CharModel(CellKind.Lstm, 11, 7, 2);
            using (SafetensorsReader checkpoint = CharModel.OpenCheckpoint(path))
            {
                Assert.Contains("rnn.weight_ih_l1", checkpoint.Names);
                copy.Load(checkpoint, path);
            }

            Assert.Equal(model.Rnn.All, copy.Rnn.All);
            Assert.Equal(model.FcWeight, copy.FcWeight);
            var other = new CharModel(CellKind.Lstm, 11, 8, 2);
            using (SafetensorsReader checkpoint = CharModel.OpenCheckpoint(path))
                Assert.Contains("wrong shape", Assert.Throws<CliException>(() => other.Load(checkpoint, path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Train_save_writes_a_checkpoint_that_sample_and_the_library_load()
    {
        string text = WriteText(string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog.\n", 60))); // a newline: the default prime
        string path = Path.Combine(Path.GetTempPath(), $"simdrnn-{Guid.NewGuid():N}.safetensors"), plot = Path.ChangeExtension(path, ".svg");
        TextWriter original = Console.Out;
        try
        {
            var output = new StringWriter();
            Console.SetOut(output);
            Assert.Equal(0, Program.Run(["train", "--text", text, "--cell", "rnn-relu", "--layers", "2", "--hidden", "8", "--seq-len", "8", "--batch", "2",
                "--steps", "3", "--save", path, "--plot", plot], output, output));
            Assert.Equal(0, Program.Run(["sample", "--load", path, "--length", "20"], output, output));
            Console.SetOut(original);
            Assert.Contains("checkpoint:", output.ToString());

            // The recurrent part is a stack the library loads alone, the cell told by the metadata.
            RecurrentParameters rnn = RecurrentParameters.LoadSafetensors(path, "rnn.");
            Assert.Equal((CellKind.RnnRelu, 2, 8), (rnn.Cell, rnn.Layers, rnn.HiddenSize));
        }
        finally
        {
            Console.SetOut(original);
            foreach (string file in new[] { text, path, plot }) File.Delete(file);
        }
    }

    [Theory]
    [InlineData("--cell", "transformer", "unknown cell 'transformer'")]
    [InlineData("--hidden", "0", "--hidden must be a whole number from 1 to 8192, not '0'")]
    [InlineData("--text", "/nonexistent/file.txt", "simdrnn train: cannot read")]
    [InlineData("--bogus", "1", "Unrecognized command or argument '--bogus'")]
    public void Bad_arguments_are_one_line_errors_with_exit_code_2(string option, string value, string message)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(2, Program.Run(["train", option, value, "--steps", "1"], output, error));
        Assert.Contains(message, error.ToString());
        Assert.DoesNotContain("   at ", error.ToString()); // no stack trace
        Assert.Equal("", output.ToString());
    }
}

public class GradientFlowTests
{
    [Fact]
    public void Gradient_flow_writes_a_plot_and_the_gated_cells_keep_more_gradient_than_the_vanilla_rnn()
    {
        string path = Path.Combine(Path.GetTempPath(), $"simdrnn-{Guid.NewGuid():N}.svg");
        try
        {
            var output = new StringWriter();
            TextWriter original = Console.Out;
            Console.SetOut(output);
            try
            {
                Assert.Equal(0, Program.Run(["gradient-flow", "--steps", "60", "--hidden", "16", "--plot", path], output, output));
            }
            finally
            {
                Console.SetOut(original);
            }

            Assert.True(File.Exists(path));
            double AtZero(string cell) => double.Parse(output.ToString().Split('\n').Single(l => l.StartsWith(cell, StringComparison.Ordinal))
                .Split("t = 0: ")[1], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(AtZero("Lstm") > 100 * AtZero("RnnTanh"), output.ToString());
            Assert.True(AtZero("Gru") > 100 * AtZero("RnnTanh"), output.ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
