using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace SimdRnn.Cli;

/// <summary>
/// Reads and writes float32 tensors in the safetensors format (8-byte little-endian header length, a JSON header
/// of name -> dtype, shape, data_offsets, then the raw little-endian data), the format PyTorch users export.
/// </summary>
internal static class Safetensors
{
    public sealed record Tensor(int[] Shape, float[] Data);

    /// <summary>Writes atomically: a temporary file beside the target, then a rename, so an interrupted run loses nothing.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new Dictionary<string, object>();
        if (metadata != null) header["__metadata__"] = metadata;
        long offset = 0;
        foreach ((string name, Tensor tensor) in tensors.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            long elements = tensor.Shape.Aggregate(1L, (a, b) => a * b);
            if (elements != tensor.Data.Length)
                throw new ArgumentException($"tensor '{name}' has shape [{string.Join(",", tensor.Shape)}] but {tensor.Data.Length} values", nameof(tensors));
            header[name] = new { dtype = "F32", shape = tensor.Shape, data_offsets = new[] { offset, offset + 4 * elements } };
            offset += 4 * elements;
        }

        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
        int padding = (8 - json.Length % 8) % 8; // keeps the data 8-byte aligned, as the reference writer does
        string temporary = path + ".tmp-" + Environment.ProcessId;
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)(json.Length + padding));
            stream.Write(length);
            stream.Write(json);
            for (int i = 0; i < padding; i++) stream.WriteByte((byte)' ');
            foreach ((string _, Tensor tensor) in tensors.OrderBy(t => t.Key, StringComparer.Ordinal))
                WriteLittleEndian(stream, tensor.Data);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliException($"cannot read checkpoint '{path}': {error.Message}");
        }

        try
        {
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            if (headerLength > (ulong)bytes.Length - 8) throw new FormatException("header length past the end of the file");
            using JsonDocument header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
            int dataStart = 8 + (int)headerLength;
            var tensors = new Dictionary<string, Tensor>();
            var metadata = new Dictionary<string, string>();
            foreach (JsonProperty entry in header.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    foreach (JsonProperty m in entry.Value.EnumerateObject()) metadata[m.Name] = m.Value.GetString() ?? "";
                    continue;
                }

                if (entry.Value.GetProperty("dtype").GetString() != "F32")
                    throw new FormatException($"tensor '{entry.Name}' is not F32");
                int[] shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
                long[] offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                long elements = shape.Aggregate(1L, (a, b) => a * b);
                if (offsets.Length != 2 || offsets[1] - offsets[0] != 4 * elements || dataStart + offsets[1] > bytes.Length || offsets[0] < 0)
                    throw new FormatException($"tensor '{entry.Name}' has inconsistent offsets");
                var data = new float[elements];
                ReadLittleEndian(bytes.AsSpan(dataStart + (int)offsets[0], 4 * (int)elements), data);
                tensors[entry.Name] = new Tensor(shape, data);
            }

            return (tensors, metadata);
        }
        catch (Exception error) when (error is FormatException or JsonException or InvalidOperationException or KeyNotFoundException or ArgumentOutOfRangeException)
        {
            throw new CliException($"'{path}' is not a valid float32 safetensors checkpoint: {error.Message}");
        }
    }

    private static void WriteLittleEndian(Stream stream, float[] data)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(data.AsSpan()));
            return;
        }

        Span<byte> buffer = stackalloc byte[4];
        foreach (float value in data)
        {
            BinaryPrimitives.WriteSingleLittleEndian(buffer, value);
            stream.Write(buffer);
        }
    }

    private static void ReadLittleEndian(ReadOnlySpan<byte> bytes, float[] data)
    {
        for (int i = 0; i < data.Length; i++) data[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
    }
}
