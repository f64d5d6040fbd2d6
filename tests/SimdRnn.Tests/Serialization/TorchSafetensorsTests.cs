using System.Globalization;
using System.Text.Json;

namespace SimdRnn.Tests.Serialization;

/// <summary>
/// Files from a real PyTorch state_dict (native-compare/torch_safetensors.py): an encoder's 2-layer bidirectional
/// nn.LSTM, an nn.GRU, a relu nn.RNN, an nn.Linear head and an int64 buffer, as F32, F16 and BF16. What loads must equal
/// PyTorch's own conversion of each dtype to float32, bit for bit.
/// </summary>
public class TorchSafetensorsTests
{
    private static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Safetensors");

    /// <summary>Per state_dict name, per dtype ("f32", "f16", "bf16"): the values as PyTorch converts them to float32.</summary>
    private static readonly Lazy<Dictionary<string, Dictionary<string, float[]>>> Expected = new(() =>
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Directory, "torch_values.json")));
        var tensors = new Dictionary<string, Dictionary<string, float[]>>();
        foreach (JsonProperty tensor in document.RootElement.GetProperty("tensors").EnumerateObject())
            tensors[tensor.Name] = new[] { "f32", "f16", "bf16" }.ToDictionary(dtype => dtype, dtype => tensor.Value.GetProperty(dtype).EnumerateArray()
                .Select(v => (float)(v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.Parse(v.GetString()!, CultureInfo.InvariantCulture))).ToArray());
        return tensors;
    });

    public static TheoryData<string> Dtypes => ["f32", "f16", "bf16"];

    private static string PathOf(string dtype) => Path.Combine(Directory, $"torch_{dtype}.safetensors");

    private static void AssertTorchValues(string dtype, string prefix, RecurrentParameters loaded)
    {
        foreach (string name in loaded.Names)
            Assert.Equal(Expected.Value[prefix + name][dtype].Select(BitConverter.SingleToInt32Bits), loaded[name].ToArray().Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [MemberData(nameof(Dtypes))]
    public void A_pytorch_state_dict_loads_with_pytorchs_values(string dtype)
    {
        RecurrentParameters lstm = RecurrentParameters.LoadSafetensors(PathOf(dtype), "encoder.lstm.");
        Assert.Equal((CellKind.Lstm, 5, 4, 2, 2), (lstm.Cell, lstm.InputSize, lstm.HiddenSize, lstm.Layers, lstm.Directions));
        AssertTorchValues(dtype, "encoder.lstm.", lstm);

        RecurrentParameters gru = RecurrentParameters.LoadSafetensors(PathOf(dtype), "gru.");
        Assert.Equal((CellKind.Gru, 3, 2, 1, 1), (gru.Cell, gru.InputSize, gru.HiddenSize, gru.Layers, gru.Directions));
        AssertTorchValues(dtype, "gru.", gru);

        // PyTorch's file does not say relu: the caller does.
        Assert.Contains("tanh or relu", Assert.Throws<InvalidDataException>(() => RecurrentParameters.LoadSafetensors(PathOf(dtype), "rnn.")).Message);
        RecurrentParameters rnn = RecurrentParameters.LoadSafetensors(PathOf(dtype), "rnn.", CellKind.RnnRelu);
        Assert.Equal((CellKind.RnnRelu, 3, 3, 1, 1), (rnn.Cell, rnn.InputSize, rnn.HiddenSize, rnn.Layers, rnn.Directions));
        AssertTorchValues(dtype, "rnn.", rnn);

        // The rest through the general reader, next to the int64 buffer it skips.
        float[] weight = new float[24], bias = new float[3];
        using var reader = new SafetensorsReader(PathOf(dtype));
        Assert.Equal("pt", reader.Metadata["format"]);
        Assert.Contains("steps", reader.Names);
        reader.Read([new SafetensorsTensor("head.weight", [3, 8], weight), new SafetensorsTensor("head.bias", [3], bias)], "head.");
        Assert.Equal(Expected.Value["head.weight"][dtype], weight);
        Assert.Equal(Expected.Value["head.bias"][dtype].Select(BitConverter.SingleToInt32Bits), bias.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void The_conversions_agree_with_pytorchs_on_its_special_values()
    {
        // head.bias = [1e-7, 70000, -0]: an F16 subnormal, beyond F16's range, and a negative zero.
        Assert.Equal([1.1920929e-07f, float.PositiveInfinity, -0f], Expected.Value["head.bias"]["f16"]);
        Assert.Equal([1.0011718e-07f, 70144f, -0f], Expected.Value["head.bias"]["bf16"]);
    }
}
