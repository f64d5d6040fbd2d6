using static SimdRnn.Serialization.SafetensorsErrors;

namespace SimdRnn.Serialization;

/// <summary>
/// The check before a read writes anything: the file's tensors under a prefix must be exactly the expected ones, with
/// their shapes and a dtype that converts to float32. One exception lists every difference.
/// </summary>
internal static class TensorMatch
{
    public static void ThrowIfNotExactly(SafetensorsHeader header, string prefix, IEnumerable<(string Name, long[] Shape)> expected, string what)
    {
        var missing = new List<string>();
        var wrongShape = new List<string>();
        var wrongType = new List<string>();
        var expectedNames = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string name, long[] shape) in expected)
        {
            expectedNames.Add(name);
            TensorEntry? tensor = header.Find(name);
            if (tensor is null) missing.Add(name);
            else if (!tensor.Shape.AsSpan().SequenceEqual(shape)) wrongShape.Add($"{Quote(name)} is {Shape(tensor.Shape)}, not {Shape(shape)}");
            else if (!tensor.Type.ConvertsToSingle) wrongType.Add($"{Quote(name)} is {tensor.Type.Name}");
        }

        List<string> extra = [.. header.Tensors.Select(t => t.Name).Where(name => name.StartsWith(prefix, StringComparison.Ordinal) && !expectedNames.Contains(name))];
        if (missing.Count + extra.Count + wrongShape.Count + wrongType.Count == 0) return;
        var parts = new List<string>();
        if (missing.Count > 0) parts.Add($"missing {List(missing)}");
        if (extra.Count > 0) parts.Add($"extra {List(extra)}");
        if (wrongShape.Count > 0) parts.Add($"wrong shape: {List(wrongShape, quote: false)}");
        if (wrongType.Count > 0) parts.Add($"not F32, F16 or BF16: {List(wrongType, quote: false)}");
        string scope = prefix.Length == 0 ? "The file's tensors" : $"The file's tensors under {Quote(prefix)}";
        throw new InvalidDataException($"{scope} do not match {what}: {string.Join("; ", parts)}.");
    }
}
