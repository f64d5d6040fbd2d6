namespace SimdRnn.Serialization;

/// <summary>The argument checks the safetensors entry points share.</summary>
internal static class StreamArguments
{
    public static void ThrowIfUnreadable(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream, name);
        if (!stream.CanRead) ThrowHelper.ThrowArgument(name, $"{name} cannot be read (closed or write-only).");
    }

    public static void ThrowIfUnwritable(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream, name);
        if (!stream.CanWrite) ThrowHelper.ThrowArgument(name, $"{name} cannot be written (closed or read-only).");
    }

    public static FileStream OpenRead(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 4096, FileOptions.SequentialScan);
    }

    /// <summary>
    /// The tensors of one read or write: no null, no name twice, no name outside <paramref name="prefix"/>, and (for a
    /// read, which writes them) no two that share memory.
    /// </summary>
    public static SafetensorsTensor[] Tensors(IEnumerable<SafetensorsTensor> tensors, string name, string prefix, bool destinations)
    {
        ArgumentNullException.ThrowIfNull(tensors, name);
        SafetensorsTensor[] list = [.. tensors];
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < list.Length; i++)
        {
            if (list[i] is null) ThrowHelper.ThrowArgument(name, $"{name}[{i}] is null.");
            string tensor = list[i].Name;
            if (!names.Add(tensor)) ThrowHelper.ThrowArgument(name, $"{name} has two tensors named '{tensor}'.");
            if (!tensor.StartsWith(prefix, StringComparison.Ordinal))
                ThrowHelper.ThrowArgument(name, $"Tensor '{tensor}' is outside the prefix '{prefix}' that the read matches exactly.");
            if (tensor == SafetensorsHeader.MetadataKey) ThrowHelper.ThrowArgument(name, $"'{tensor}' is the format's metadata entry, not a tensor name.");
            if (!IsWellFormed(tensor)) ThrowHelper.ThrowArgument(name, $"Tensor name '{tensor}' is not well-formed UTF-16 (a lone surrogate).");
            for (int j = 0; destinations && j < i; j++)
                if (list[i].Values.Span.Overlaps(list[j].Values.Span))
                    ThrowHelper.ThrowArgument(name, $"Tensors '{list[j].Name}' and '{tensor}' share memory; a read would write both.");
        }

        return list;
    }

    /// <summary>Strings go into a UTF-8 header: a lone surrogate cannot.</summary>
    public static bool IsWellFormed(string text)
    {
        for (int i = 0; i < text.Length; i++)
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(text[i])) return false;
        return true;
    }
}
