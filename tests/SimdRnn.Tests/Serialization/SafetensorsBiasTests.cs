namespace SimdRnn.Tests.Serialization;

/// <summary>
/// Parameters without biases (PyTorch's bias=False) hold exactly the weight tensors, write and load as such (the loader
/// infers "no biases" from the file), and a file with some bias tensors but not all is refused, naming what is missing.
/// </summary>
public class SafetensorsBiasTests
{
    [Theory]
    [InlineData(CellKind.Lstm, 1, false)]
    [InlineData(CellKind.Gru, 2, true)]
    [InlineData(CellKind.RnnRelu, 2, false)]
    public void Bias_less_parameters_have_only_weights_and_round_trip(CellKind cell, int layers, bool bidirectional)
    {
        var parameters = new RecurrentParameters(cell, 3, 2, layers, bidirectional, bias: false);
        Assert.False(parameters.Bias);
        Assert.All(parameters.Names, name => Assert.StartsWith("weight_", name));
        Assert.Equal(layers * parameters.Directions * 2, parameters.Names.Count);
        int gates = cell switch { CellKind.Lstm => 4, CellKind.Gru => 3, _ => 1 };
        int biasFloats = layers * parameters.Directions * 2 * gates * 2;
        Assert.Equal(new RecurrentParameters(cell, 3, 2, layers, bidirectional).All.Length - biasFloats, parameters.All.Length);
        for (int i = 0; i < parameters.All.Length; i++) parameters.All[i] = i * 0.25f - 1;

        var stream = new MemoryStream();
        parameters.WriteSafetensors(stream, "rnn.");
        RecurrentParameters loaded = RecurrentParameters.LoadSafetensors(new MemoryStream(stream.ToArray()), "rnn.");
        Assert.False(loaded.Bias);
        Assert.True(loaded.HasSameShape(parameters));
        Assert.Equal(parameters.All, loaded.All);

        // Biased and bias-less parameters are of different shapes, both ways.
        var biased = new RecurrentParameters(cell, 3, 2, layers, bidirectional);
        Assert.False(biased.HasSameShape(parameters));
        Assert.False(parameters.HasSameShape(biased));
        var error = Assert.Throws<InvalidDataException>(() => biased.ReadSafetensors(new MemoryStream(stream.ToArray()), "rnn."));
        Assert.Contains("missing", error.Message);
        Assert.Contains("rnn.bias_ih_l0", error.Message);
    }

    [Fact]
    public void A_file_with_some_biases_but_not_all_is_refused()
    {
        var parameters = new RecurrentParameters(CellKind.Lstm, 3, 2, layers: 2);
        var stream = new MemoryStream();
        SafetensorsWriter.Write(stream, parameters.Names.Where(name => name != "bias_hh_l1")
            .Select(name => new SafetensorsTensor(name, parameters.Shape(name), parameters[name])));
        var error = Assert.Throws<InvalidDataException>(() => RecurrentParameters.LoadSafetensors(new MemoryStream(stream.ToArray())));
        Assert.Contains("missing", error.Message);
        Assert.Contains("bias_hh_l1", error.Message);
    }

    [Fact]
    public void A_stack_refuses_parameters_that_differ_in_biases()
    {
        var stack = new RecurrentStack(CellKind.Gru, 3, 2, options: new RecurrentStackOptions { Bias = false });
        Assert.False(stack.Bias);
        Assert.False(stack.CreateParameters().Bias);
        var error = Assert.Throws<ArgumentException>(() => stack.Prepare(new RecurrentParameters(CellKind.Gru, 3, 2)));
        Assert.Equal("parameters", error.ParamName);
        Assert.Contains("bias=True", error.Message);
    }
}
