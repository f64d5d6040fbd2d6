namespace SimdRnn.Tests.Layers;

/// <summary>
/// <see cref="RecurrentParameters"/> as PyTorch's state_dict: the names, shapes and order of its tensors (written out
/// here from PyTorch's rules, not from the library's layout), one after the other in <see cref="RecurrentParameters.All"/>;
/// the per-direction views the layers use are the named tensors; shapes compare field by field; and a stack too large
/// for one array is refused naming the argument that makes it so, with the count of floats it would need.
/// </summary>
public class RecurrentParametersTests
{
    [Fact]
    public void Tensors_are_pytorchs_state_dict_one_after_the_other()
    {
        foreach (CellKind cell in Enum.GetValues<CellKind>())
            foreach (int layers in new[] { 1, 3 })
                foreach (bool bidirectional in new[] { false, true })
                    foreach (bool bias in new[] { false, true })
                        AssertTensors(cell, layers, bidirectional, bias, 0);
        foreach (int layers in new[] { 1, 2 })
            foreach (bool bias in new[] { false, true })
                AssertTensors(CellKind.Lstm, layers, true, bias, 3);
    }

    private static void AssertTensors(CellKind cell, int layers, bool bidirectional, bool bias, int projection)
    {
        const int input = 7, hidden = 5;
        var parameters = new RecurrentParameters(cell, input, hidden, layers, bidirectional, bias, projection);
        (string Name, int[] Shape)[] expected = ExpectedTensors(cell, input, hidden, layers, bidirectional, bias, projection);
        Assert.Equal(expected.Select(t => t.Name), parameters.Names);
        Assert.Equal((cell, input, hidden, layers, bidirectional ? 2 : 1, bias, projection),
            (parameters.Cell, parameters.InputSize, parameters.HiddenSize, parameters.Layers, parameters.Directions, parameters.Bias, parameters.ProjectionSize));

        // Each tensor starts where the one before it ends, and the last ends with All.
        int offset = 0;
        foreach ((string name, int[] shape) in expected)
        {
            Assert.Equal(shape, parameters.Shape(name));
            Memory<float> tensor = parameters[name];
            Assert.Equal(shape.Aggregate(1, (a, b) => a * b), tensor.Length);
            Assert.True(Start(parameters, tensor.Span) == offset, $"{name} starts at {Start(parameters, tensor.Span)}, expected {offset}");
            offset += tensor.Length;
        }

        Assert.Equal(offset, parameters.All.Length);

        // The layers' views of one direction are the named tensors (biases and projection empty where absent).
        int state = projection > 0 ? projection : hidden, directions = bidirectional ? 2 : 1;
        for (int layer = 0; layer < layers; layer++)
        {
            Assert.Equal(layer == 0 ? input : directions * state, parameters.LayerInputSize(layer));
            for (int direction = 0; direction < directions; direction++)
            {
                string suffix = $"_l{layer}" + (direction == 1 ? "_reverse" : "");
                var tensors = parameters.Direction(layer, direction);
                AssertIs(parameters, "weight_ih" + suffix, tensors.InputWeights);
                AssertIs(parameters, "weight_hh" + suffix, tensors.RecurrentWeights);
                if (bias)
                {
                    AssertIs(parameters, "bias_ih" + suffix, tensors.InputBias);
                    AssertIs(parameters, "bias_hh" + suffix, tensors.RecurrentBias);
                }
                else Assert.True(tensors.InputBias.IsEmpty && tensors.RecurrentBias.IsEmpty);

                if (projection > 0) AssertIs(parameters, "weight_hr" + suffix, tensors.ProjectionWeights);
                else Assert.True(tensors.ProjectionWeights.IsEmpty);
            }
        }
    }

    [Fact]
    public void Sizes_below_one_and_projections_outside_zero_to_h_are_refused_by_name()
    {
        Assert.Equal("inputSize", Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentParameters(CellKind.Lstm, 0, 5)).ParamName);
        Assert.Equal("hiddenSize", Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentParameters(CellKind.Gru, 3, 0)).ParamName);
        Assert.Equal("layers", Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentParameters(CellKind.RnnTanh, 3, 5, 0)).ParamName);
        Assert.Equal("projectionSize", Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentParameters(CellKind.Lstm, 3, 5, projectionSize: 5)).ParamName);
        Assert.Equal("projectionSize", Assert.Throws<ArgumentException>(() => new RecurrentParameters(CellKind.Gru, 3, 5, projectionSize: 2)).ParamName);
    }

    [Fact]
    public void Shape_is_a_copy_and_unknown_names_are_refused_with_the_names()
    {
        var parameters = new RecurrentParameters(CellKind.Gru, 3, 4);
        parameters.Shape("weight_hh_l0")[0] = 99;
        Assert.Equal(new[] { 12, 4 }, parameters.Shape("weight_hh_l0"));
        var error = Assert.Throws<KeyNotFoundException>(() => parameters["weight_hh_l1"]);
        Assert.Contains("'weight_hh_l1'", error.Message);
        Assert.Contains("weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0", error.Message);
        Assert.Throws<KeyNotFoundException>(() => parameters.Shape("bias"));
        Assert.Equal("name", Assert.Throws<ArgumentNullException>(() => parameters[null!]).ParamName);
    }

    /// <summary>Two parameters have the same shape only when every field agrees: each one alone makes them differ.</summary>
    [Fact]
    public void Same_shape_needs_every_field_equal()
    {
        var baseline = new RecurrentParameters(CellKind.Lstm, 3, 5, 2, bidirectional: true, bias: true, projectionSize: 2);
        Assert.True(baseline.HasSameShape(new RecurrentParameters(CellKind.Lstm, 3, 5, 2, bidirectional: true, bias: true, projectionSize: 2)));
        Assert.True(baseline.HasSameShape(baseline));
        var others = new Dictionary<string, RecurrentParameters>
        {
            ["cell"] = new(CellKind.Gru, 3, 5, 2, bidirectional: true, bias: true, projectionSize: 0),
            ["input"] = new(CellKind.Lstm, 4, 5, 2, bidirectional: true, bias: true, projectionSize: 2),
            ["hidden"] = new(CellKind.Lstm, 3, 6, 2, bidirectional: true, bias: true, projectionSize: 2),
            ["layers"] = new(CellKind.Lstm, 3, 5, 1, bidirectional: true, bias: true, projectionSize: 2),
            ["directions"] = new(CellKind.Lstm, 3, 5, 2, bidirectional: false, bias: true, projectionSize: 2),
            ["bias"] = new(CellKind.Lstm, 3, 5, 2, bidirectional: true, bias: false, projectionSize: 2),
            ["projection"] = new(CellKind.Lstm, 3, 5, 2, bidirectional: true, bias: true, projectionSize: 3),
        };
        // The cell alone: an LSTM and a GRU without projections (a GRU cannot have one).
        Assert.False(new RecurrentParameters(CellKind.Lstm, 3, 5).HasSameShape(new RecurrentParameters(CellKind.Gru, 3, 5)));
        foreach ((string field, RecurrentParameters other) in others)
        {
            Assert.False(baseline.HasSameShape(other), field);
            Assert.False(other.HasSameShape(baseline), field);
        }
    }

    /// <summary>
    /// The size check counts the tensors with their biases in double and names the first layer's larger size when the
    /// first layer alone is too large, else the layer count; its message gives the float count.
    /// </summary>
    [Theory]
    [InlineData(CellKind.Lstm, int.MaxValue / 4, 1, 1, false, 0, "inputSize")]
    [InlineData(CellKind.RnnTanh, 1, 46341, 1, false, 0, "hiddenSize")]
    [InlineData(CellKind.RnnTanh, 46341, 46341, 1, false, 0, "hiddenSize")]
    [InlineData(CellKind.Lstm, 1, 30000, 1, false, 29999, "hiddenSize")]
    [InlineData(CellKind.Gru, 10, 10, 1118482, true, 0, "layers")]
    [InlineData(CellKind.Lstm, 1, 1000, 84, true, 999, "layers")]
    [InlineData(CellKind.RnnTanh, 2147483588, 1, 2, false, 0, "layers")] // the first layer is exactly Array.MaxLength floats
    public void Too_large_stacks_are_refused_naming_the_size_and_the_floats(CellKind cell, int input, int hidden, int layers, bool bidirectional,
        int projection, string name)
    {
        // Layers above the first are all alike: count the first, then the second once per layer above.
        double first = Floats(ExpectedTensors(cell, input, hidden, 1, bidirectional, bias: true, projection));
        double inner = layers == 1 ? 0 : Floats(ExpectedTensors(cell, input, hidden, 2, bidirectional, bias: true, projection)) - first;
        double floats = first + (layers - 1) * inner;
        Assert.True(floats > Array.MaxLength);
        // Only the layer count can make a too-large stack fit in one step here: one layer fewer must fit.
        if (name == "layers") Assert.True(floats - inner <= Array.MaxLength);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentParameters(cell, input, hidden, layers, bidirectional, projectionSize: projection));
        Assert.Equal(name, error.ParamName);
        Assert.Equal((object)(name switch { "inputSize" => input, "hiddenSize" => hidden, _ => layers }), error.ActualValue);
        Assert.Contains($"{layers} layer(s) of I={input}, H={hidden} need {floats:0} floats", error.Message);
    }

    private static double Floats((string Name, int[] Shape)[] tensors) => tensors.Sum(t => t.Shape.Aggregate(1.0, (a, b) => a * b));

    /// <summary>PyTorch's state_dict of nn.LSTM / nn.GRU / nn.RNN: G*H gate rows, proj_size P.</summary>
    private static (string Name, int[] Shape)[] ExpectedTensors(CellKind cell, int input, int hidden, int layers, bool bidirectional, bool bias,
        int projection)
    {
        int gates = cell switch { CellKind.Lstm => 4, CellKind.Gru => 3, _ => 1 } * hidden;
        int state = projection > 0 ? projection : hidden, directions = bidirectional ? 2 : 1;
        var tensors = new List<(string, int[])>();
        for (int layer = 0; layer < layers; layer++)
            foreach (string suffix in directions == 1 ? new[] { $"_l{layer}" } : new[] { $"_l{layer}", $"_l{layer}_reverse" })
            {
                tensors.Add(("weight_ih" + suffix, new[] { gates, layer == 0 ? input : directions * state }));
                tensors.Add(("weight_hh" + suffix, new[] { gates, state }));
                if (bias)
                {
                    tensors.Add(("bias_ih" + suffix, new[] { gates }));
                    tensors.Add(("bias_hh" + suffix, new[] { gates }));
                }

                if (projection > 0) tensors.Add(("weight_hr" + suffix, new[] { projection, hidden }));
            }

        return [.. tensors];
    }

    private static void AssertIs(RecurrentParameters parameters, string name, Span<float> view)
    {
        Span<float> tensor = parameters[name].Span;
        Assert.True(view.Length == tensor.Length && Start(parameters, view) == Start(parameters, tensor), $"the direction's view of {name}");
    }

    private static long Start(RecurrentParameters parameters, Span<float> tensor) =>
        System.Runtime.CompilerServices.Unsafe.ByteOffset(ref parameters.All[0], ref System.Runtime.InteropServices.MemoryMarshal.GetReference(tensor)) / sizeof(float);
}
