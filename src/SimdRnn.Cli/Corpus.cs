using System.IO.Compression;
using System.Text;

namespace SimdRnn.Cli;

/// <summary>A character-level corpus: the vocabulary (sorted distinct characters) and the text as token ids.</summary>
internal sealed class Corpus
{
    public const string DefaultName = "tinyshakespeare (bundled)";

    private Corpus(string name, string text)
    {
        Name = name;
        Vocabulary = text.Distinct().Order().ToArray();
        var index = new Dictionary<char, int>();
        for (int i = 0; i < Vocabulary.Length; i++) index[Vocabulary[i]] = i;
        Tokens = text.Select(c => index[c]).ToArray();
        TrainLength = Tokens.Length * 9 / 10;
    }

    public string Name { get; }
    public char[] Vocabulary { get; }
    public int[] Tokens { get; }

    /// <summary>The first 90% is training text, the rest validation.</summary>
    public int TrainLength { get; }

    public ReadOnlySpan<int> Train => Tokens.AsSpan(0, TrainLength);
    public ReadOnlySpan<int> Validation => Tokens.AsSpan(TrainLength);

    /// <summary>The bundled tinyshakespeare text (public domain; from karpathy/char-rnn).</summary>
    public static Corpus LoadDefault()
    {
        using Stream compressed = typeof(Corpus).Assembly.GetManifestResourceStream("SimdRnn.Cli.Data.tinyshakespeare.txt.gz")
            ?? throw new InvalidOperationException("the bundled corpus is missing from the build");
        using var gzip = new GZipStream(compressed, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        return new Corpus(DefaultName, reader.ReadToEnd());
    }

    /// <summary>Any UTF-8 text file; a missing, unreadable, non-UTF-8 or too short file is a <see cref="CliException"/>.</summary>
    public static Corpus LoadFile(string path, int minimumLength)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliException($"cannot read text file '{path}': {error.Message}");
        }

        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new CliException($"'{path}' is not valid UTF-8 text");
        }

        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        if (text.Length < minimumLength)
            throw new CliException($"'{path}' has {text.Length} characters; at least {minimumLength} are needed");
        return new Corpus(Path.GetFileName(path), text);
    }

    public string Decode(ReadOnlySpan<int> tokens)
    {
        var builder = new StringBuilder(tokens.Length);
        foreach (int token in tokens) builder.Append(Vocabulary[token]);
        return builder.ToString();
    }
}
