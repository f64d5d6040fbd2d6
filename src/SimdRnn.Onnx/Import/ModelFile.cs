using Google.Protobuf;
using SimdRnn.Onnx.Protobuf;

namespace SimdRnn.Onnx.Import;

/// <summary>A parsed ONNX model: its graph and the constants (initializers and Constant nodes' values) by name.</summary>
internal sealed class ModelFile
{
    // Protobuf messages (an ONNX file is one) are limited to 2 GB; a longer stream cannot be a model.
    private const long MaxBytes = int.MaxValue;

    // Only the fields of Protos/onnx_subset.proto are kept; the rest of the file is skipped, not stored.
    private static readonly MessageParser<ModelProto> Parser = ModelProto.Parser.WithDiscardUnknownFields(true);

    private readonly Dictionary<string, TensorProto> _constants;

    private ModelFile(GraphProto graph, Dictionary<string, TensorProto> constants, long opsetVersion, string producerName)
    {
        Graph = graph;
        _constants = constants;
        OpsetVersion = opsetVersion;
        ProducerName = producerName;
    }

    public GraphProto Graph { get; }

    public long OpsetVersion { get; }

    public string ProducerName { get; }

    /// <summary>The constant tensor called <paramref name="name"/>: an initializer or a Constant node's value.</summary>
    public TensorProto? FindConstant(string name) => _constants.GetValueOrDefault(name);

    /// <summary>The rest of the stream, refused past protobuf's 2 GB limit; never allocates more than what arrives.</summary>
    public static byte[] ReadToEnd(Stream stream)
    {
        if (stream.CanSeek && stream.Length - stream.Position > MaxBytes)
            throw new InvalidDataException($"ONNX model: {stream.Length - stream.Position} bytes, more than a protobuf message can hold ({MaxBytes}).");
        using var copy = new MemoryStream();
        byte[] buffer = new byte[81920];
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            if (copy.Length + read > MaxBytes)
                throw new InvalidDataException($"ONNX model: more than {MaxBytes} bytes, more than a protobuf message can hold.");
            copy.Write(buffer, 0, read);
        }

        return copy.ToArray();
    }

    public static ModelFile Parse(byte[] bytes)
    {
        ModelProto model;
        try
        {
            model = Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"ONNX model: not a well-formed protobuf ModelProto ({e.Message}).", e);
        }

        if (model.Graph is null)
            throw new InvalidDataException($"ONNX model: no graph (a {bytes.Length}-byte file that is not an ONNX model, or an empty one).");
        long opset = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty().Max();
        return new ModelFile(model.Graph, Constants(model.Graph), opset, model.ProducerName);
    }

    private static Dictionary<string, TensorProto> Constants(GraphProto graph)
    {
        var constants = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (TensorProto initializer in graph.Initializer)
        {
            if (!constants.TryAdd(initializer.Name, initializer))
                throw new InvalidDataException($"ONNX model: two initializers are called '{initializer.Name}'.");
        }

        foreach (NodeProto node in graph.Node)
        {
            if (node.OpType != "Constant" || node.Domain is not ("" or "ai.onnx") || node.Output.Count != 1)
                continue;
            AttributeProto? value = node.Attribute.FirstOrDefault(a => a.Name == "value" && a.T is not null);
            if (value is not null && !constants.TryAdd(node.Output[0], value.T))
                throw new InvalidDataException($"ONNX model: Constant node '{node.Name}' writes '{node.Output[0]}', which an initializer or another Constant already is.");
        }

        return constants;
    }
}
