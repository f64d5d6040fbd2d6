using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using SimdRnn.Serialization;

namespace SimdRnn;

/// <summary>Writes float32 tensors as a safetensors file, which PyTorch (<c>safetensors.torch.load_file</c>) and this library read.</summary>
public static class SafetensorsWriter
{
    /// <summary>
    /// Writes the tensors (dtype F32, little-endian, in the order given, the data 8-byte aligned) and the metadata to the
    /// stream at its position.
    /// </summary>
    /// <param name="stream">Where the file goes; left open.</param>
    /// <param name="tensors">The tensors, by their full names (PyTorch's state_dict keys, e.g. <c>rnn.weight_ih_l0</c>).</param>
    /// <param name="metadata">Strings for the header's "__metadata__" entry (written sorted by key), or null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> or <paramref name="tensors"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> cannot be written; <paramref name="tensors"/> holds null,
    /// a name twice, the name "__metadata__" or a lone surrogate; <paramref name="metadata"/> holds a null or a lone surrogate;
    /// or the header would be larger than the 100 MB that readers accept. Nothing is written then.</exception>
    public static void Write(Stream stream, IEnumerable<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        StreamArguments.ThrowIfUnwritable(stream, nameof(stream));
        SafetensorsTensor[] list = StreamArguments.Tensors(tensors, nameof(tensors), "", destinations: false);
        foreach ((string key, string value) in metadata ?? new Dictionary<string, string>())
            if (key is null || value is null || !StreamArguments.IsWellFormed(key) || !StreamArguments.IsWellFormed(value))
                ThrowHelper.ThrowArgument(nameof(metadata), $"Metadata entry '{key}' has a null or a lone surrogate.");
        byte[] header = Header(list, metadata);
        if (header.Length > SafetensorsHeader.MaxLength)
            ThrowHelper.ThrowArgument(nameof(tensors), $"The header would be {header.Length} bytes, more than the {SafetensorsHeader.MaxLength} that readers accept.");

        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (SafetensorsTensor tensor in list) TensorData.Write(stream, tensor.Values.Span);
    }

    /// <summary>The JSON header, padded with spaces so that the data starts 8-byte aligned (as the reference writer does).</summary>
    private static byte[] Header(SafetensorsTensor[] tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(SafetensorsHeader.MetadataKey);
                foreach ((string key, string value) in metadata.OrderBy(entry => entry.Key, StringComparer.Ordinal)) json.WriteString(key, value);
                json.WriteEndObject();
            }

            long offset = 0;
            foreach (SafetensorsTensor tensor in tensors)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", DataType.F32.Name);
                json.WriteStartArray("shape");
                foreach (int dimension in tensor.Shape) json.WriteNumberValue(dimension);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset += 4L * tensor.Values.Length);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        int padding = (8 - buffer.WrittenCount % 8) % 8;
        buffer.GetSpan(padding)[..padding].Fill((byte)' ');
        buffer.Advance(padding);
        return buffer.WrittenSpan.ToArray();
    }
}
