using System.Buffers.Binary;
using System.Text.Json;

namespace SimdRnn.Onnx.Tests.Support;

/// <summary>A model of Fixtures/ (export_fixtures.py) and the float32 tensors PyTorch stored beside it.</summary>
internal sealed class Fixture
{
    public static readonly string[] Names =
        ["lstm", "gru", "rnn_tanh", "rnn_relu", "lstm_bidirectional", "gru_bidirectional", "lstm_2layers", "gru_2layers_bidirectional"];

    private readonly Dictionary<string, (int[] Shape, float[] Values)> _tensors;

    private Fixture(string name, Dictionary<string, (int[] Shape, float[] Values)> tensors)
    {
        Name = name;
        _tensors = tensors;
    }

    public string Name { get; }

    public string ModelPath => Path(Name + ".onnx");

    public bool Has(string tensor) => _tensors.ContainsKey(tensor);

    public float[] this[string tensor] => _tensors[tensor].Values;

    public int[] Shape(string tensor) => _tensors[tensor].Shape;

    public static string Path(string file) => System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", file);

    /// <summary>Reads NAME.io.safetensors (F32 tensors only: what export_fixtures.py writes).</summary>
    public static Fixture Load(string name)
    {
        byte[] file = File.ReadAllBytes(Path(name + ".io.safetensors"));
        int headerLength = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(file));
        using JsonDocument header = JsonDocument.Parse(file.AsMemory(8, headerLength));
        var tensors = new Dictionary<string, (int[], float[])>(StringComparer.Ordinal);
        foreach (JsonProperty entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
                continue;
            Assert.Equal("F32", entry.Value.GetProperty("dtype").GetString());
            int[] shape = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
            int begin = entry.Value.GetProperty("data_offsets")[0].GetInt32(), end = entry.Value.GetProperty("data_offsets")[1].GetInt32();
            float[] values = new float[(end - begin) / 4];
            for (int k = 0; k < values.Length; k++)
                values[k] = BinaryPrimitives.ReadSingleLittleEndian(file.AsSpan(8 + headerLength + begin + 4 * k));
            tensors[entry.Name] = (shape, values);
        }

        return new Fixture(name, tensors);
    }
}
