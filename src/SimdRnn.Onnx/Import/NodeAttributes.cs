using System.Text;
using SimdRnn.Onnx.Protobuf;
using AttributeType = SimdRnn.Onnx.Protobuf.AttributeProto.Types.AttributeType;

namespace SimdRnn.Onnx.Import;

/// <summary>A recurrent node's name for messages, and its attributes by name, each read with its declared type.</summary>
internal sealed class NodeAttributes
{
    private readonly Dictionary<string, AttributeProto> _byName = new(StringComparer.Ordinal);

    public NodeAttributes(NodeProto node, int index)
    {
        Node = node;
        Name = node.Name.Length > 0 ? node.Name : $"#{index} {node.OpType}";
        foreach (AttributeProto attribute in node.Attribute)
        {
            if (!_byName.TryAdd(attribute.Name, attribute))
                throw new InvalidDataException($"ONNX {this}: attribute '{attribute.Name}' appears twice.");
        }
    }

    public NodeProto Node { get; }

    public string Name { get; }

    public string OpType => Node.OpType;

    public IEnumerable<string> Names => _byName.Keys;

    public bool Has(string name) => _byName.ContainsKey(name);

    /// <summary>The node's input <paramref name="index"/>, or "" when the node leaves it out.</summary>
    public string Input(int index) => index < Node.Input.Count ? Node.Input[index] : "";

    public long Int(string name, long missing) =>
        Find(name, AttributeType.Int) is { } a ? a.I : missing;

    public string String(string name, string missing) =>
        Find(name, AttributeType.String) is { } a ? Utf8(a.S.Span, name) : missing;

    public string[]? Strings(string name) =>
        Find(name, AttributeType.Strings) is { } a ? a.Strings.Select(s => Utf8(s.Span, name)).ToArray() : null;

    public override string ToString() => $"node '{Name}' ({OpType})";

    private AttributeProto? Find(string name, AttributeType type)
    {
        if (!_byName.TryGetValue(name, out AttributeProto? attribute))
            return null;
        if (attribute.Type != type)
            throw new InvalidDataException($"ONNX {this}: attribute '{name}' is of type {attribute.Type}, expected {type}.");
        return attribute;
    }

    private string Utf8(ReadOnlySpan<byte> bytes, string name)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"ONNX {this}: attribute '{name}' is not valid UTF-8.", e);
        }
    }
}
