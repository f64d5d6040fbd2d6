using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace SimdRnn.Tests.Serialization;

/// <summary>One tensor of a hand-written file: its header entry and its raw little-endian bytes.</summary>
public sealed record HandWrittenTensor(string Name, string DType, long[] Shape, byte[] Bytes)
{
    public static HandWrittenTensor F32(string name, long[] shape, float[] values)
    {
        var bytes = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        return new(name, "F32", shape, bytes);
    }

    /// <summary>A 16-bit dtype (F16, BF16) from its bit patterns.</summary>
    public static HandWrittenTensor Bits16(string name, string dtype, long[] shape, ushort[] bits)
    {
        var bytes = new byte[2 * bits.Length];
        for (int i = 0; i < bits.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), bits[i]);
        return new(name, dtype, shape, bytes);
    }
}

/// <summary>
/// Safetensors files written by hand, not by the library: dtypes it does not write, and the broken files it must
/// refuse. The header is JSON text built here (fields in the order dtype, shape, data_offsets), so that tests can edit
/// it as text.
/// </summary>
public static class HandWrittenSafetensors
{
    /// <summary>The tensors one after the other in the data section, in the order given.</summary>
    public static byte[] File(IEnumerable<HandWrittenTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        List<HandWrittenTensor> list = [.. tensors];
        var entries = new List<string>();
        if (metadata is not null)
            entries.Add($"\"__metadata__\":{{{string.Join(",", metadata.Select(m => $"{Json(m.Key)}:{Json(m.Value)}"))}}}");
        long offset = 0;
        foreach (HandWrittenTensor tensor in list)
        {
            entries.Add($"{Json(tensor.Name)}:{{\"dtype\":{Json(tensor.DType)},\"shape\":[{string.Join(",", tensor.Shape)}],\"data_offsets\":[{offset},{offset + tensor.Bytes.Length}]}}");
            offset += tensor.Bytes.Length;
        }

        return Assemble("{" + string.Join(",", entries) + "}", [.. list.SelectMany(t => t.Bytes)]);
    }

    /// <summary>The length, the header text (padded with spaces to 8 bytes, as writers do) and the data.</summary>
    public static byte[] Assemble(string header, byte[] data, ulong? claimedLength = null)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        int padding = (8 - json.Length % 8) % 8;
        var file = new byte[8 + json.Length + padding + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, claimedLength ?? (ulong)(json.Length + padding));
        json.CopyTo(file, 8);
        file.AsSpan(8 + json.Length, padding).Fill((byte)' ');
        data.CopyTo(file, 8 + json.Length + padding);
        return file;
    }

    /// <summary>The header text and the data of a file (any file whose length field is within it).</summary>
    public static (string Header, byte[] Data) Split(byte[] file)
    {
        int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        return (Encoding.UTF8.GetString(file, 8, length), file[(8 + length)..]);
    }

    /// <summary>The tensors of a <see cref="RecurrentParameters"/>, F32, named with the prefix.</summary>
    public static IEnumerable<HandWrittenTensor> Tensors(RecurrentParameters parameters, string prefix) =>
        parameters.Names.Select(name => HandWrittenTensor.F32(prefix + name, [.. parameters.Shape(name).Select(d => (long)d)], parameters[name].ToArray()));

    public static string Json(string text) => JsonSerializer.Serialize(text);
}
