using System.Text;

namespace SimdRnn.Serialization;

/// <summary>
/// The messages of a refused file. Names and values come from the file, so they are shortened and made printable: a
/// hostile header must not turn an error message into megabytes or terminal escapes.
/// </summary>
internal static class SafetensorsErrors
{
    private const int NameLimit = 120, ListLimit = 20, ShapeLimit = 8;

    public static InvalidDataException Header(string message, Exception? inner = null) =>
        new($"Invalid safetensors header: {message}.", inner);

    public static InvalidDataException Tensor(string name, string message) => new($"Invalid safetensors tensor {Quote(name)}: {message}.");

    public static string Quote(string name)
    {
        var text = new StringBuilder("'");
        foreach (char c in name.Length <= NameLimit ? name : name[..NameLimit]) text.Append(char.IsControl(c) ? '?' : c);
        return text.Append(name.Length <= NameLimit ? "'" : $"...' ({name.Length} characters)").ToString();
    }

    public static string Shape(IReadOnlyList<long> shape) =>
        "[" + string.Join(", ", shape.Take(ShapeLimit)) + (shape.Count > ShapeLimit ? $", ... ({shape.Count} dimensions)" : "") + "]";

    /// <summary>Quoted names, at most <see cref="ListLimit"/> of them, then how many more.</summary>
    public static string List(IReadOnlyCollection<string> items, bool quote = true)
    {
        string shown = string.Join(", ", items.Take(ListLimit).Select(item => quote ? Quote(item) : item));
        return items.Count > ListLimit ? $"{shown} and {items.Count - ListLimit} more" : shown;
    }
}
