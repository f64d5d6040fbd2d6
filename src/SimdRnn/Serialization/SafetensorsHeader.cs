using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;
using static SimdRnn.Serialization.SafetensorsErrors;

namespace SimdRnn.Serialization;

/// <summary>One tensor of a file: its dtype, shape and byte range [Begin, End) in the data section.</summary>
internal sealed record TensorEntry(string Name, DataType Type, long[] Shape, long Begin, long End);

/// <summary>
/// A safetensors header, read and checked before any tensor data is touched: an 8-byte little-endian length (at most
/// <see cref="MaxLength"/>, and within the file), a UTF-8 JSON object mapping each tensor name to its dtype, shape and
/// data_offsets, and an optional "__metadata__" object of strings. The byte ranges must tile the data section exactly:
/// sorted, they start at 0, each begins where the one before ends (no overlap, no gap), each holds dtype size x shape
/// bytes, and the last ends where the file ends (no trailing bytes). Everything that fails is an
/// <see cref="InvalidDataException"/> naming the tensor, or the header.
/// </summary>
internal sealed class SafetensorsHeader
{
    /// <summary>The largest header accepted (the reference implementation's limit).</summary>
    public const long MaxLength = 100_000_000;

    public const string MetadataKey = "__metadata__";

    private readonly Dictionary<string, TensorEntry> _byName;

    private SafetensorsHeader(Dictionary<string, string> metadata, List<TensorEntry> tensors, long dataLength)
    {
        Metadata = metadata;
        Tensors = tensors;
        DataLength = dataLength;
        _byName = tensors.ToDictionary(tensor => tensor.Name, StringComparer.Ordinal);
    }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors in the order of their data.</summary>
    public IReadOnlyList<TensorEntry> Tensors { get; }

    /// <summary>The length of the data section: the end of the last tensor.</summary>
    public long DataLength { get; }

    public TensorEntry? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Reads the header from the stream's position; the stream is then at the start of the data.</summary>
    public static SafetensorsHeader Read(Stream stream)
    {
        long available = stream.CanSeek ? stream.Length - stream.Position : -1;
        Span<byte> lengthBytes = stackalloc byte[8];
        int got = stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false);
        if (got < 8) throw Header($"the file has {got} bytes, fewer than the 8 of the header length");
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (length > MaxLength) throw Header($"its length {length} is larger than the limit of {MaxLength} bytes (not a safetensors file?)");
        if (available >= 0 && (long)length > available - 8)
            throw Header($"its length {length} is past the end of the file ({available - 8} bytes follow the length)");
        SafetensorsHeader header = Parse(ReadBytes(stream, (int)length));
        if (available >= 0)
        {
            long data = available - 8 - (long)length;
            if (data > header.DataLength) throw Header($"{data - header.DataLength} bytes follow the end of the last tensor's data");
            if (data < header.DataLength) throw Header($"the file ends {header.DataLength - data} bytes before the end of the data it describes");
        }

        return header;
    }

    /// <summary>Grows with what arrives, so a short stream that claims a long header costs what it holds, not what it claims.</summary>
    private static byte[] ReadBytes(Stream stream, int length)
    {
        var buffer = new byte[Math.Min(length, 1 << 16)];
        int filled = 0;
        while (filled < length)
        {
            if (filled == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(length, 2L * buffer.Length));
            int read = stream.Read(buffer, filled, buffer.Length - filled);
            if (read == 0) throw Header($"the file ends after {filled} of its {length} bytes");
            filled += read;
        }

        return buffer;
    }

    public static SafetensorsHeader Parse(ReadOnlyMemory<byte> json)
    {
        if (!Utf8.IsValid(json.Span)) throw Header("it is not valid UTF-8");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException error)
        {
            throw Header($"it is not valid JSON ({error.Message})", error);
        }

        using (document)
        {
            try
            {
                return FromJson(document.RootElement);
            }
            catch (InvalidOperationException error)
            {
                // The one thing the JSON reader leaves to reading a string: an escaped lone surrogate (\ud800), not text.
                throw Header($"a name or string is not valid text ({error.Message})", error);
            }
        }
    }

    private static SafetensorsHeader FromJson(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw Header($"it is a JSON {root.ValueKind}, not an object");
        Dictionary<string, string>? metadata = null;
        var tensors = new List<TensorEntry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty property in root.EnumerateObject())
        {
            if (property.Name == MetadataKey)
            {
                if (metadata is not null) throw Header($"it has two {MetadataKey} entries");
                metadata = ParseMetadata(property.Value);
            }
            else if (!names.Add(property.Name)) throw Tensor(property.Name, "the header names it twice");
            else tensors.Add(ParseTensor(property.Name, property.Value));
        }

        List<TensorEntry> ordered = [.. tensors.OrderBy(t => t.Begin).ThenBy(t => t.End)];
        long end = 0;
        TensorEntry? previous = null;
        foreach (TensorEntry tensor in ordered)
        {
            if (tensor.Begin < end)
                throw Tensor(tensor.Name, $"its data [{tensor.Begin}, {tensor.End}) overlaps that of {Quote(previous!.Name)} [{previous.Begin}, {previous.End})");
            if (tensor.Begin > end)
                throw Tensor(tensor.Name, $"its data starts at {tensor.Begin}, but bytes [{end}, {tensor.Begin}) of the data belong to no tensor");
            end = tensor.End;
            previous = tensor;
        }

        return new SafetensorsHeader(metadata ?? new Dictionary<string, string>(), ordered, end);
    }

    private static Dictionary<string, string> ParseMetadata(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object) throw Header($"{MetadataKey} is a JSON {element.ValueKind}, not an object of strings");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonProperty entry in element.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw Header($"{MetadataKey} entry {Quote(entry.Name)} is a JSON {entry.Value.ValueKind}, not a string");
            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!)) throw Header($"{MetadataKey} names {Quote(entry.Name)} twice");
        }

        return metadata;
    }

    private static TensorEntry ParseTensor(string name, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object) throw Tensor(name, $"its entry is a JSON {element.ValueKind}, not an object");
        string? dtype = null;
        long[]? shape = null, offsets = null;
        foreach (JsonProperty field in element.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype":
                    ThrowIfRepeated(dtype, field.Name);
                    dtype = field.Value.ValueKind == JsonValueKind.String ? field.Value.GetString()! : throw Tensor(name, "its dtype is not a string");
                    break;
                case "shape":
                    ThrowIfRepeated(shape, field.Name);
                    shape = Integers(name, field);
                    break;
                case "data_offsets":
                    ThrowIfRepeated(offsets, field.Name);
                    offsets = Integers(name, field);
                    break;
                // Other fields are allowed and ignored, as the reference implementation does.
            }
        }

        if (dtype is null || shape is null || offsets is null)
            throw Tensor(name, $"its entry lacks '{(dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets")}'");
        if (!DataType.TryParse(dtype, out DataType type)) throw Tensor(name, $"unknown dtype {Quote(dtype)}");
        if (offsets.Length != 2) throw Tensor(name, $"data_offsets has {offsets.Length} numbers, not 2");
        (long begin, long end) = (offsets[0], offsets[1]);
        if (end < begin) throw Tensor(name, $"data_offsets [{begin}, {end}) ends before it begins");
        long bytes = type.Size;
        foreach (long dimension in shape)
            if (dimension != 0 && bytes > long.MaxValue / dimension) throw Tensor(name, $"shape {Shape(shape)} of {dtype} holds more than 2^63 bytes");
            else bytes *= dimension;
        if (end - begin != bytes)
            throw Tensor(name, $"data_offsets [{begin}, {end}) hold {end - begin} bytes, but {dtype} x {Shape(shape)} needs {bytes}");
        return new TensorEntry(name, type, shape, begin, end);

        void ThrowIfRepeated(object? seen, string field)
        {
            if (seen is not null) throw Tensor(name, $"its entry has two '{field}' fields");
        }
    }

    private static long[] Integers(string name, JsonProperty field)
    {
        if (field.Value.ValueKind != JsonValueKind.Array) throw Tensor(name, $"its {field.Name} is a JSON {field.Value.ValueKind}, not an array");
        var values = new long[field.Value.GetArrayLength()];
        int i = 0;
        foreach (JsonElement item in field.Value.EnumerateArray())
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out values[i++]) || values[i - 1] < 0)
                throw Tensor(name, $"its {field.Name} holds {Quote(item.GetRawText())}, not a non-negative 64-bit integer");
        return values;
    }
}
