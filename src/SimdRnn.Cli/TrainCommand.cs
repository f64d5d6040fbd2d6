using System.CommandLine;
using System.Diagnostics;
using System.Globalization;

namespace SimdRnn.Cli;

/// <summary>
/// simdrnn train: a character-level language model on the bundled corpus (or --text), truncated BPTT over parallel
/// streams, Adam, clipping by global norm; progress, samples, a loss-curve SVG and an optional checkpoint.
/// </summary>
internal sealed class TrainCommand : Command
{
    private readonly Option<string> _cell = CliOptions.Cell("The recurrent cell: lstm, gru, rnn (tanh) or rnn-relu.", "lstm", list: false);
    // Two layers of 320 reach 1.534 nats/char in the 4.5-minute default budget on 2 cores (one of 256 overfits to
    // 1.60, one of 512 stops at 1.55; see the README).
    private readonly Option<int> _layers = CliOptions.Int("--layers", "Stacked recurrent layers.", 2, 1, 8);
    private readonly Option<int> _hidden = CliOptions.Int("--hidden", "Hidden size of each layer.", 320, 1, 8192);
    private readonly Option<int> _seqLen = CliOptions.Int("--seq-len", "Steps of truncated BPTT per chunk (the state carries over).", 100, 1, 10_000);
    private readonly Option<int> _batch = CliOptions.Int("--batch", "Parallel streams of text per step.", 32, 1, 4096);
    private readonly Option<double> _lr = CliOptions.Double("--lr", "Adam's learning rate.", 2e-3, 1e-9, 10);
    private readonly Option<double> _lrFinal = CliOptions.Double("--lr-final", "Cosine decay of the learning rate to lr x this over the budget (1: constant).", 0.1, 0, 1);
    private readonly Option<double> _clip = CliOptions.Double("--clip", "Clip the gradient to this global norm.", 5, 1e-6, 1e6);
    private readonly Option<double> _dropout = CliOptions.Double("--dropout", "Probability of dropping a recurrent output before the output layer, in training.", 0, 0, 0.9);
    private readonly Option<double> _minutes = CliOptions.Double("--minutes", "The time budget in minutes.", 4.5, 0.01, 10_000);
    private readonly Option<int?> _steps = CliOptions.OptionalInt("--steps", "Stop after this many steps (default: only the time budget stops).", 1, int.MaxValue);
    private readonly Option<int> _seed = CliOptions.Int("--seed", "Seed of the initial weights and the dropout masks.", 1, 0, int.MaxValue);
    private readonly Option<string> _text = CliOptions.Text("--text", "Train on this UTF-8 text file instead of the bundled tinyshakespeare (90% train, 10% validation).");
    private readonly Option<string> _save = CliOptions.Text("--save", "Write a checkpoint (safetensors, PyTorch state_dict names) here at the end.");
    private readonly Option<string> _plot = CliOptions.Text("--plot", "Write the loss curve (SVG) here.", "loss.svg");

    public TrainCommand()
        : base("train", "Train a character-level language model (one-hot input, stacked RNN / LSTM / GRU, linear, softmax) on the " +
                        "bundled tinyshakespeare text or --text, printing progress, samples and the validation loss.")
    {
        foreach (Option option in new Option[] { _cell, _layers, _hidden, _seqLen, _batch, _lr, _lrFinal, _clip, _dropout, _minutes, _steps, _seed, _text, _save, _plot })
            Options.Add(option);
        SetAction(Run);
    }

    private int Run(ParseResult parse)
    {
        CellKind cell = CliOptions.ParseCell(parse.GetValue(_cell)!);
        int layers = parse.GetValue(_layers);
        int hidden = parse.GetValue(_hidden);
        int steps = parse.GetValue(_seqLen);
        int batch = parse.GetValue(_batch);
        double learningRate = parse.GetValue(_lr);
        double finalLearningRate = parse.GetValue(_lrFinal);
        double clip = parse.GetValue(_clip);
        double dropout = parse.GetValue(_dropout);
        double minutes = parse.GetValue(_minutes);
        int maxSteps = parse.GetValue(_steps) ?? int.MaxValue;
        int seed = parse.GetValue(_seed);
        string? textPath = parse.GetValue(_text);
        string? savePath = parse.GetValue(_save);
        string plotPath = parse.GetValue(_plot)!;

        Corpus corpus = textPath == null ? Corpus.LoadDefault() : Corpus.LoadFile(textPath, minimumLength: 10 * (steps + 1));
        if (corpus.Train.Length < batch * (steps + 1))
            throw new CliException($"the training text ({corpus.Train.Length} characters) is too short for --batch {batch} x --seq-len {steps}");
        var model = new CharModel(cell, corpus.Vocabulary.Length, hidden, layers);
        model.Initialize(new Random(seed));
        var trainer = new Trainer(model, steps, batch, (float)dropout, seed);
        Console.WriteLine($"simdrnn train: {cell} layers={layers} hidden={hidden} on {corpus.Name} ({corpus.Tokens.Length:N0} chars, vocabulary {corpus.Vocabulary.Length}), " +
                          $"seq-len {steps}, batch {batch}, Adam lr {learningRate} (cosine to x{finalLearningRate}), clip {clip}, dropout {dropout}, path {Cpu.Path}, budget {minutes} min");

        var progress = new Progress(Console.IsOutputRedirected);
        var trainCurve = new List<(double, double)>();
        var validationCurve = new List<(double, double)>();
        var clock = Stopwatch.StartNew();
        double budgetSeconds = minutes * 60, nextEvaluation = 30, lastValidation = double.NaN;
        int streamLength = corpus.Train.Length / batch, position = 0, epoch = 1;
        long characters = 0;
        for (int step = 1; step <= maxSteps && clock.Elapsed.TotalSeconds < budgetSeconds; step++)
        {
            if (position + steps + 1 > streamLength)
            {
                position = 0;
                epoch++;
                trainer.ResetState();
            }

            // Cosine decay from lr to lr * lr-final over the budget (time, or --steps when that ends the run first).
            double done = Math.Min(1, Math.Max(clock.Elapsed.TotalSeconds / budgetSeconds, maxSteps == int.MaxValue ? 0 : (double)step / maxSteps));
            double rate = learningRate * (finalLearningRate + (1 - finalLearningRate) * 0.5 * (1 + Math.Cos(Math.PI * done)));
            double loss = trainer.TrainStep(corpus.Train, streamLength, position, step, (float)rate, (float)clip);
            position += steps;
            characters += (long)steps * batch;
            trainCurve.Add((characters / 1e6, loss));
            double seconds = clock.Elapsed.TotalSeconds;
            if (seconds >= nextEvaluation || seconds >= budgetSeconds || step == maxSteps)
            {
                lastValidation = trainer.Evaluate(corpus.Validation, maxCharacters: 100_000);
                validationCurve.Add((characters / 1e6, lastValidation));
                progress.Line(string.Create(CultureInfo.InvariantCulture, $"sample: {Sample.Generate(model, corpus.Vocabulary, "\n", 160, new Random(step)).ReplaceLineEndings(" | ")}"));
                nextEvaluation = seconds + 60;
            }

            progress.Update(string.Create(CultureInfo.InvariantCulture,
                $"step {step} epoch {epoch} loss {loss:F3} val {(double.IsNaN(lastValidation) ? "-" : lastValidation.ToString("F3", CultureInfo.InvariantCulture))} {characters / seconds / 1000:F1}K chars/s " +
                $"{trainer.FlopsPerStep * step / seconds / 1e9:F1} GFLOP/s ETA {Math.Max(0, budgetSeconds - seconds):F0}s"));
        }

        progress.Done();
        double finalValidation = trainer.Evaluate(corpus.Validation, maxCharacters: int.MaxValue);
        double total = clock.Elapsed.TotalSeconds;
        validationCurve.Add((characters / 1e6, finalValidation));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"done: {characters:N0} characters in {total:F0} s ({characters / total / 1000:F1}K chars/s), validation loss {finalValidation:F3} nats/char (whole validation text)"));
        string svg = new SvgChart($"simdrnn train: {cell} H={hidden} on {corpus.Name}", "million characters", "loss (nats/char)")
            .Add("train", trainCurve).Add("validation", validationCurve).Save(plotPath);
        Console.WriteLine($"loss curve: {svg}");
        if (savePath != null)
        {
            model.Save(savePath, new Dictionary<string, string>
            {
                // "rnn.cell": the key RecurrentParameters.LoadSafetensors(path, "rnn.") reads.
                ["rnn.cell"] = cell.ToString(), ["layers"] = layers.ToString(CultureInfo.InvariantCulture),
                ["hidden"] = hidden.ToString(CultureInfo.InvariantCulture), ["vocabulary"] = new string(corpus.Vocabulary),
            });
            Console.WriteLine($"checkpoint: {Path.GetFullPath(savePath)}");
        }

        return 0;
    }

    /// <summary>A live line on a terminal; plain periodic lines when the output is redirected (CI logs).</summary>
    private sealed class Progress(bool redirected)
    {
        private readonly Stopwatch _sincePrint = Stopwatch.StartNew();
        private string _last = "";

        public void Update(string text)
        {
            _last = text;
            if (!redirected) Console.Write("\r" + text.PadRight(Console.WindowWidth > 0 ? Math.Min(Console.WindowWidth - 1, 160) : 0));
            else if (_sincePrint.Elapsed.TotalSeconds >= 10)
            {
                Console.WriteLine(text);
                _sincePrint.Restart();
            }
        }

        public void Line(string text)
        {
            if (!redirected) Console.Write("\r");
            Console.WriteLine(text);
        }

        public void Done()
        {
            if (!redirected) Console.WriteLine();
            else if (_last.Length > 0) Console.WriteLine(_last);
        }
    }
}
