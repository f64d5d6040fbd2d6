using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace SimdRnn.Serialization;

/// <summary>
/// Tensor bytes between a stream and float32 memory. F32 goes straight into (or out of) the destination's own bytes,
/// with no copy on a little-endian machine; F16 and BF16 pass through a small pooled chunk and are widened a vector at a time.
/// </summary>
internal static class TensorData
{
    private const int ChunkBytes = 1 << 16;

    /// <summary>Reads the tensor's data, which starts at the stream's position, into <paramref name="destination"/>.</summary>
    public static void Read(Stream stream, TensorEntry tensor, Span<float> destination)
    {
        if (tensor.Type == DataType.F32)
        {
            Fill(stream, MemoryMarshal.AsBytes(destination), tensor.Name);
            if (!BitConverter.IsLittleEndian) ReverseEndianness(MemoryMarshal.Cast<float, int>(destination));
            return;
        }

        byte[] chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            for (int done = 0; done < destination.Length;)
            {
                int count = Math.Min(destination.Length - done, ChunkBytes / 2);
                Span<ushort> bits = MemoryMarshal.Cast<byte, ushort>(chunk.AsSpan(0, 2 * count));
                Fill(stream, MemoryMarshal.AsBytes(bits), tensor.Name);
                if (!BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(bits, bits);
                if (tensor.Type == DataType.F16) Widening.ToSingle<HalfWidening>(bits, destination.Slice(done, count));
                else Widening.ToSingle<BFloat16Widening>(bits, destination.Slice(done, count));
                done += count;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>Moves past <paramref name="count"/> bytes: a seek where the stream can, reading them otherwise.</summary>
    public static void Skip(Stream stream, long count, string nextTensor)
    {
        if (count == 0) return;
        if (stream.CanSeek)
        {
            stream.Seek(count, SeekOrigin.Current);
            return;
        }

        byte[] chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            for (; count > 0; count -= Read(stream, chunk.AsSpan(0, (int)Math.Min(count, ChunkBytes)), nextTensor, "the file ends before its data"))
            {
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    public static void Write(Stream stream, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values));
            return;
        }

        byte[] chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            for (int done = 0; done < values.Length; done += ChunkBytes / 4)
            {
                ReadOnlySpan<int> part = MemoryMarshal.Cast<float, int>(values[done..Math.Min(values.Length, done + ChunkBytes / 4)]);
                BinaryPrimitives.ReverseEndianness(part, MemoryMarshal.Cast<byte, int>(chunk.AsSpan(0, 4 * part.Length)));
                stream.Write(chunk, 0, 4 * part.Length);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private static void ReverseEndianness(Span<int> values) => BinaryPrimitives.ReverseEndianness(values, values);

    private static void Fill(Stream stream, Span<byte> buffer, string tensor)
    {
        for (int filled = 0; filled < buffer.Length;) filled += Read(stream, buffer[filled..], tensor, "the file ends inside its data");
    }

    private static int Read(Stream stream, Span<byte> buffer, string tensor, string endOfFile)
    {
        int read = stream.Read(buffer);
        return read > 0 ? read : throw SafetensorsErrors.Tensor(tensor, endOfFile);
    }
}
