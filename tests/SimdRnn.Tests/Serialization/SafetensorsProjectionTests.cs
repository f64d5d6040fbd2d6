namespace SimdRnn.Tests.Serialization;

/// <summary>
/// An LSTM projection (PyTorch's proj_size) in safetensors: P is inferred from weight_hr_l0's presence and shape, a round
/// trip keeps every tensor, and files whose projection cannot be are refused with the tensor and the shapes named.
/// </summary>
public class SafetensorsProjectionTests
{
    [Theory]
    [InlineData(1, false, true)]
    [InlineData(3, true, true)]
    [InlineData(2, true, false)]
    public void Projection_is_inferred_from_weight_hr_and_survives_a_round_trip(int projection, bool bidirectional, bool bias)
    {
        var original = new RecurrentParameters(CellKind.Lstm, 3, 5, layers: 2, bidirectional, bias, projection);
        for (int i = 0; i < original.All.Length; i++) original.All[i] = MathF.Sin(0.3f * i);
        using var stream = new MemoryStream();
        original.WriteSafetensors(stream, "lstm.");
        stream.Position = 0;
        RecurrentParameters loaded = RecurrentParameters.LoadSafetensors(stream, "lstm.");
        Assert.True(loaded.HasSameShape(original));
        Assert.Equal(projection, loaded.ProjectionSize);
        Assert.Equal(original.Names, loaded.Names);
        Assert.Equal(original.All, loaded.All);

        // Into a stack's parameters of another projection: refused as another shape.
        stream.Position = 0;
        var other = new RecurrentParameters(CellKind.Lstm, 3, 5, layers: 2, bidirectional, bias, projection == 1 ? 2 : 1);
        var error = Assert.Throws<InvalidDataException>(() => other.ReadSafetensors(stream, "lstm."));
        Assert.Contains("weight_hr_l0", error.Message);
    }

    [Fact]
    public void Impossible_projections_in_a_file_are_refused_with_the_shapes()
    {
        var parameters = new RecurrentParameters(CellKind.Lstm, 3, 5, projectionSize: 2);
        HandWrittenTensor[] tensors = [.. HandWrittenSafetensors.Tensors(parameters, "")];
        byte[] With(string name, long[] shape, int count) =>
            HandWrittenSafetensors.File(tensors.Select(t => t.Name == name ? HandWrittenTensor.F32(name, shape, new float[count]) : t));
        foreach ((byte[] file, string expected) in new[]
                 {
                     (With("weight_hr_l0", [5, 5], 25), "0 < P < H"),
                     (With("weight_hr_l0", [2, 5, 1], 10), "0 < P < H"),
                     (With("weight_hh_l0", [20, 5], 100), "must be [20, 2]"),
                     (With("weight_hh_l0", [12, 2], 24), "must be [20, 2]"),
                 })
        {
            var error = Assert.Throws<InvalidDataException>(() => RecurrentParameters.LoadSafetensors(new MemoryStream(file)));
            Assert.Contains(expected, error.Message);
        }

        // A projection on a GRU's file (3H rows) cannot be: refused, naming weight_hh_l0.
        var gru = HandWrittenSafetensors.File(HandWrittenSafetensors.Tensors(new RecurrentParameters(CellKind.Gru, 3, 5), "")
            .Append(HandWrittenTensor.F32("weight_hr_l0", [2, 5], new float[10])));
        Assert.Contains("weight_hh_l0", Assert.Throws<InvalidDataException>(() => RecurrentParameters.LoadSafetensors(new MemoryStream(gru))).Message);
    }
}
