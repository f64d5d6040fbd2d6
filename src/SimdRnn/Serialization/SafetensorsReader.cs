using SimdRnn.Serialization;

namespace SimdRnn;

/// <summary>
/// Reads float32 tensors from a safetensors file (an 8-byte little-endian header length, a JSON header of tensor names,
/// dtypes, shapes and byte ranges plus optional string metadata, then the raw little-endian data). Making the reader
/// reads and checks the header; <see cref="Read"/> then reads the data once, in file order, straight into the caller's
/// memory. F32, F16 and BF16 tensors are read (converted exactly to float32); a file may hold other dtypes, which
/// are checked and skipped. For a PyTorch nn.LSTM / nn.GRU / nn.RNN, <see cref="RecurrentParameters.LoadSafetensors(string, string, CellKind?)"/>
/// does it all.
/// </summary>
/// <remarks>
/// Any file is safe to open: whatever is wrong with it (a header length past the file or above 100 MB, JSON that is
/// malformed or not an object, an unknown dtype, a shape whose size overflows, byte ranges that overlap, leave gaps,
/// run past the end or do not match dtype x shape, a name twice, bytes after the last tensor) is an
/// <see cref="InvalidDataException"/> naming the tensor or the header, before any tensor data is read. Nothing is
/// allocated by a size the file claims: the header buffer grows with the bytes that actually arrive.
/// </remarks>
public sealed class SafetensorsReader : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private bool _read, _disposed;

    /// <summary>Reads and checks the header at the stream's position.</summary>
    /// <param name="stream">The file, from its first byte at the current position. A seekable stream is checked against
    /// its length at once and skips the tensors it does not read; another one is read to its end.</param>
    /// <param name="leaveOpen">Whether <see cref="Dispose"/> leaves the stream open.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> cannot be read.</exception>
    /// <exception cref="InvalidDataException">The header is not a valid safetensors header, or does not fit the stream.</exception>
    public SafetensorsReader(Stream stream, bool leaveOpen = false)
    {
        StreamArguments.ThrowIfUnreadable(stream, nameof(stream));
        _stream = stream;
        _leaveOpen = leaveOpen;
        Header = SafetensorsHeader.Read(stream);
    }

    /// <summary>Opens the file and reads and checks its header.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="IOException">The file cannot be opened (<see cref="FileNotFoundException"/> and others).</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file.</exception>
    public SafetensorsReader(string path)
    {
        _stream = StreamArguments.OpenRead(path);
        try
        {
            Header = SafetensorsHeader.Read(_stream);
        }
        catch
        {
            _stream.Dispose();
            throw;
        }
    }

    /// <summary>The header's "__metadata__" strings (empty when it has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata => Header.Metadata;

    /// <summary>The names of every tensor in the file (of any dtype), in the order of their data.</summary>
    public IReadOnlyList<string> Names => [.. Header.Tensors.Select(tensor => tensor.Name)];

    internal SafetensorsHeader Header { get; }

    /// <summary>
    /// Reads the given tensors, which must be exactly the file's tensors whose names start with
    /// <paramref name="prefix"/>, with the same shapes (the file's others are skipped). Once per reader.
    /// </summary>
    /// <param name="tensors">Where each tensor goes, by its full name in the file; no two may share memory.</param>
    /// <param name="prefix">The part of the file to match exactly, e.g. <c>"fc."</c>; "" (the default) is the whole file.</param>
    /// <exception cref="ArgumentNullException"><paramref name="tensors"/> or <paramref name="prefix"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="tensors"/> holds null, a name twice, a name outside the prefix, or
    /// two tensors that share memory.</exception>
    /// <exception cref="InvalidDataException">A tensor is missing, the file has others under the prefix, or one has
    /// another shape or a dtype other than F32, F16 and BF16 (the message lists them all; nothing was written); or a stream
    /// that cannot seek ends early or runs on past the data (found while reading: the tensors may be partly written).</exception>
    /// <exception cref="InvalidOperationException">The reader has read already.</exception>
    /// <exception cref="ObjectDisposedException">The reader is disposed.</exception>
    public void Read(IEnumerable<SafetensorsTensor> tensors, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(prefix);
        SafetensorsTensor[] list = StreamArguments.Tensors(tensors, nameof(tensors), prefix, destinations: true);
        ReadExactly(list, prefix, "the tensors asked for");
    }

    /// <summary>Closes the stream unless the reader was made with leaveOpen.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_leaveOpen) _stream.Dispose();
    }

    /// <summary><see cref="Read"/> on tensors already checked (names unique and under the prefix, memory disjoint).</summary>
    internal void ReadExactly(IReadOnlyList<SafetensorsTensor> tensors, string prefix, string what)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_read) throw new InvalidOperationException("A SafetensorsReader reads its stream once; make another reader to read again.");
        TensorMatch.ThrowIfNotExactly(Header, prefix, tensors.Select(tensor => (tensor.Name, tensor.LongShape)), what);
        _read = true;
        Dictionary<string, Memory<float>> destinations = tensors.ToDictionary(tensor => tensor.Name, tensor => tensor.Values, StringComparer.Ordinal);
        long position = 0; // within the data section
        foreach (TensorEntry tensor in Header.Tensors)
        {
            if (!destinations.TryGetValue(tensor.Name, out Memory<float> values)) continue;
            TensorData.Skip(_stream, tensor.Begin - position, tensor.Name);
            TensorData.Read(_stream, tensor, values.Span);
            position = tensor.End;
        }

        // A seekable stream's length was checked with the header; another one must end exactly where the data does.
        if (_stream.CanSeek) return;
        if (position < Header.DataLength) TensorData.Skip(_stream, Header.DataLength - position, Header.Tensors[^1].Name);
        if (_stream.ReadByte() >= 0) throw SafetensorsErrors.Header("bytes follow the end of the last tensor's data");
    }
}
