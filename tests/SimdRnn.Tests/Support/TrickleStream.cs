namespace SimdRnn.Tests.Support;

/// <summary>
/// A stream over bytes that cannot seek and hands out 1 to <paramref name="maxRead"/> bytes per read (at random), as a
/// pipe or socket may: readers must depend on neither. Also compiled into SimdRnn.Onnx.Tests (a linked file).
/// </summary>
public sealed class TrickleStream(byte[] bytes, int seed = 1, int maxRead = 4096) : Stream
{
    private readonly Random _random = new(seed);
    private int _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int count = Math.Min(Math.Min(buffer.Length, bytes.Length - _position), 1 + _random.Next(maxRead));
        bytes.AsSpan(_position, count).CopyTo(buffer);
        _position += count;
        return count;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
