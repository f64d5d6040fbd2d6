using System.Runtime.InteropServices;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Serialization;

public class SafetensorsRoundTripTests
{
    public static TheoryData<CellKind, int, bool, string> Stacks
    {
        get
        {
            var data = new TheoryData<CellKind, int, bool, string>();
            foreach (CellKind cell in Enum.GetValues<CellKind>())
                foreach (int layers in new[] { 1, 2 })
                    foreach (bool bidirectional in new[] { false, true })
                        foreach (string prefix in new[] { "", "rnn.", "encoder.lstm." })
                            data.Add(cell, layers, bidirectional, prefix);
            return data;
        }
    }

    /// <summary>Random bit patterns: NaNs with payloads, infinities, denormals and -0 all come back bit for bit.</summary>
    internal static RecurrentParameters RandomParameters(CellKind cell, int inputSize, int hiddenSize, int layers, bool bidirectional, int seed)
    {
        var parameters = new RecurrentParameters(cell, inputSize, hiddenSize, layers, bidirectional);
        new Random(seed).NextBytes(MemoryMarshal.AsBytes(parameters.All.AsSpan()));
        return parameters;
    }

    internal static int[] Bits(float[] values) => [.. values.Select(BitConverter.SingleToInt32Bits)];

    [Theory]
    [MemberData(nameof(Stacks))]
    public void Written_parameters_load_and_read_back_bitwise(CellKind cell, int layers, bool bidirectional, string prefix)
    {
        RecurrentParameters parameters = RandomParameters(cell, 3, 2, layers, bidirectional, seed: (int)cell * 8 + layers * 2 + (bidirectional ? 1 : 0));
        var stream = new MemoryStream();
        parameters.WriteSafetensors(stream, prefix, new Dictionary<string, string> { ["note"] = "written by a test" });
        byte[] file = stream.ToArray();

        // The shape inferred from the names and shapes, the RNN's nonlinearity from the metadata; seekable or not.
        foreach (Stream source in new Stream[] { new MemoryStream(file), new TrickleStream(file) })
        {
            RecurrentParameters loaded = RecurrentParameters.LoadSafetensors(source, prefix);
            Assert.True(loaded.HasSameShape(parameters), $"{loaded.Cell} {loaded.Layers} {loaded.Directions}");
            Assert.Equal(Bits(parameters.All), Bits(loaded.All));
        }

        // Into parameters of a known shape.
        var into = new RecurrentParameters(cell, 3, 2, layers, bidirectional);
        into.ReadSafetensors(new MemoryStream(file), prefix);
        Assert.Equal(Bits(parameters.All), Bits(into.All));

        // The file: state_dict names in order, all F32, the data 8-byte aligned, the metadata with the cell.
        using var reader = new SafetensorsReader(new MemoryStream(file));
        Assert.Equal(parameters.Names.Select(name => prefix + name), reader.Names);
        Assert.Equal(cell.ToString(), reader.Metadata[prefix + "cell"]);
        Assert.Equal("written by a test", reader.Metadata["note"]);
        Assert.Equal(0UL, BitConverter.ToUInt64(file) % 8);
        (string header, byte[] data) = HandWrittenSafetensors.Split(file);
        Assert.Equal(4 * parameters.All.Length, data.Length);
        Assert.DoesNotContain("\"F16\"", header);
        Assert.Contains($"\"{prefix}weight_ih_l0\":{{\"dtype\":\"F32\",\"shape\":[{parameters.Shape("weight_ih_l0")[0]},3],\"data_offsets\":[0,", header);
    }

    [Fact]
    public void Loading_from_a_path_equals_loading_from_its_stream()
    {
        RecurrentParameters parameters = RandomParameters(CellKind.Gru, 4, 3, 2, true, seed: 5);
        string path = Path.Combine(Path.GetTempPath(), $"simdrnn-{Guid.NewGuid():N}.safetensors");
        try
        {
            using (FileStream file = File.Create(path)) parameters.WriteSafetensors(file, "gru.");
            Assert.Equal(Bits(parameters.All), Bits(RecurrentParameters.LoadSafetensors(path, "gru.").All));
            using var reader = new SafetensorsReader(path);
            Assert.Equal(parameters.Names.Count, reader.Names.Count);
            Assert.Throws<FileNotFoundException>(() => RecurrentParameters.LoadSafetensors(path + ".missing"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_prefix_selects_one_stack_of_a_file_and_ignores_the_others()
    {
        RecurrentParameters encoder = RandomParameters(CellKind.Lstm, 5, 4, 2, true, seed: 1);
        RecurrentParameters decoder = RandomParameters(CellKind.Gru, 8, 3, 1, false, seed: 2);
        byte[] file = HandWrittenSafetensors.File(
        [
            .. HandWrittenSafetensors.Tensors(decoder, "decoder.gru."), HandWrittenTensor.F32("head.weight", [2, 3], [1, 2, 3, 4, 5, 6]),
            new HandWrittenTensor("steps", "I64", [], BitConverter.GetBytes(7L)), .. HandWrittenSafetensors.Tensors(encoder, "encoder.lstm."),
        ]);

        RecurrentParameters loadedEncoder = RecurrentParameters.LoadSafetensors(new MemoryStream(file), "encoder.lstm.");
        Assert.True(loadedEncoder.HasSameShape(encoder));
        Assert.Equal(Bits(encoder.All), Bits(loadedEncoder.All));
        RecurrentParameters loadedDecoder = RecurrentParameters.LoadSafetensors(new TrickleStream(file), "decoder.gru.");
        Assert.True(loadedDecoder.HasSameShape(decoder));
        Assert.Equal(Bits(decoder.All), Bits(loadedDecoder.All));

        var head = new float[6];
        using (var reader = new SafetensorsReader(new TrickleStream(file)))
            reader.Read([new SafetensorsTensor("head.weight", [2, 3], head)], "head.");
        Assert.Equal([1f, 2, 3, 4, 5, 6], head);

        // No prefix: the state_dict names are not at the top level of this file.
        Assert.Contains("'weight_hh_l0'", Assert.Throws<InvalidDataException>(() => RecurrentParameters.LoadSafetensors(new MemoryStream(file))).Message);
        string wrongPrefix = Assert.Throws<InvalidDataException>(() => RecurrentParameters.LoadSafetensors(new MemoryStream(file), "lstm.")).Message;
        Assert.Contains("No tensor's name starts with 'lstm.'", wrongPrefix);
        Assert.Contains("'encoder.lstm.weight_ih_l0'", wrongPrefix);
    }

    [Fact]
    public void Missing_extra_and_misshapen_tensors_are_listed_in_one_message_and_nothing_is_written()
    {
        RecurrentParameters source = RandomParameters(CellKind.Lstm, 3, 2, 2, false, seed: 3);
        List<HandWrittenTensor> tensors = [.. HandWrittenSafetensors.Tensors(source, "rnn.").Where(t => t.Name != "rnn.bias_hh_l1")];
        int wrong = tensors.FindIndex(t => t.Name == "rnn.weight_ih_l0");
        tensors[wrong] = HandWrittenTensor.F32("rnn.weight_ih_l0", [8, 4], new float[32]);
        tensors.Add(HandWrittenTensor.F32("rnn.weight_ho_l0", [2, 2], new float[4])); // not a state_dict name (weight_hr_l0 would be a projection)
        tensors.Add(HandWrittenTensor.F32("fc.weight", [2, 2], new float[4])); // outside the prefix: ignored
        byte[] file = HandWrittenSafetensors.File(tensors);

        var parameters = new RecurrentParameters(CellKind.Lstm, 3, 2, 2);
        Array.Fill(parameters.All, 42f);
        string message = Assert.Throws<InvalidDataException>(() => parameters.ReadSafetensors(new MemoryStream(file), "rnn.")).Message;
        Assert.Equal("The file's tensors under 'rnn.' do not match a 2-layer Lstm with I=3, H=2: missing 'rnn.bias_hh_l1'; extra 'rnn.weight_ho_l0'; " +
                     "wrong shape: 'rnn.weight_ih_l0' is [8, 4], not [8, 3].", message);
        Assert.All(parameters.All, value => Assert.Equal(42f, value));

        // Inferred from the file, the same differences are reported against the stack its weight_hh_l0 and weight_ih_l0 describe.
        string inferred = Assert.Throws<InvalidDataException>(() => RecurrentParameters.LoadSafetensors(new MemoryStream(file), "rnn.")).Message;
        Assert.Contains("a 2-layer Lstm with I=4, H=2: missing 'rnn.bias_hh_l1'; extra 'rnn.weight_ho_l0'", inferred);
    }

    [Fact]
    public void A_gap_in_the_layer_indices_is_a_missing_layer_and_an_extra_one()
    {
        RecurrentParameters source = RandomParameters(CellKind.Gru, 2, 2, 2, false, seed: 4);
        byte[] file = HandWrittenSafetensors.File(HandWrittenSafetensors.Tensors(source, "").Select(t => t with { Name = t.Name.Replace("_l1", "_l7") }));
        string message = Assert.Throws<InvalidDataException>(() => RecurrentParameters.LoadSafetensors(new MemoryStream(file))).Message;
        Assert.Contains("missing 'weight_ih_l1', 'weight_hh_l1', 'bias_ih_l1', 'bias_hh_l1'; extra 'weight_ih_l7'", message);
    }

    [Fact]
    public void A_vanilla_rnn_takes_its_nonlinearity_from_the_caller_or_the_metadata()
    {
        RecurrentParameters relu = RandomParameters(CellKind.RnnRelu, 2, 3, 1, false, seed: 6);
        var written = new MemoryStream();
        relu.WriteSafetensors(written, "rnn.");
        Assert.Equal(CellKind.RnnRelu, RecurrentParameters.LoadSafetensors(new MemoryStream(written.ToArray()), "rnn.").Cell);
        // The caller's cell wins over the metadata.
        Assert.Equal(CellKind.RnnTanh, RecurrentParameters.LoadSafetensors(new MemoryStream(written.ToArray()), "rnn.", CellKind.RnnTanh).Cell);

        byte[] plain = HandWrittenSafetensors.File(HandWrittenSafetensors.Tensors(relu, "rnn."));
        Assert.Contains("tanh or relu cannot be told", Assert.Throws<InvalidDataException>(() => RecurrentParameters.LoadSafetensors(new MemoryStream(plain), "rnn.")).Message);
        RecurrentParameters tanh = RecurrentParameters.LoadSafetensors(new MemoryStream(plain), "rnn.", CellKind.RnnTanh);
        Assert.Equal(CellKind.RnnTanh, tanh.Cell);
        Assert.Equal(Bits(relu.All), Bits(tanh.All));

        Assert.Contains("are a vanilla RNN (1 gate), not Lstm",
            Assert.Throws<InvalidDataException>(() => RecurrentParameters.LoadSafetensors(new MemoryStream(plain), "rnn.", CellKind.Lstm)).Message);
        byte[] lying = HandWrittenSafetensors.File(HandWrittenSafetensors.Tensors(relu, "rnn."), new Dictionary<string, string> { ["rnn.cell"] = "Gru" });
        Assert.Contains("The metadata 'rnn.cell' says 'Gru'", Assert.Throws<InvalidDataException>(() => RecurrentParameters.LoadSafetensors(new MemoryStream(lying), "rnn.")).Message);
    }

    [Fact]
    public void The_general_writer_and_reader_round_trip_any_float_tensors()
    {
        float[] weight = [.. Enumerable.Range(0, 24).Select(i => i * 0.5f - 3)], bias = [float.NaN, float.PositiveInfinity, -0f, 1e-40f];
        var stream = new MemoryStream();
        SafetensorsWriter.Write(stream, [new SafetensorsTensor("fc.weight", [4, 6], weight), new SafetensorsTensor("fc.bias", [4], bias),
            new SafetensorsTensor("scalar", [], new float[] { 2.5f }), new SafetensorsTensor("empty", [0, 3], Memory<float>.Empty)],
            new Dictionary<string, string> { ["z"] = "last", ["a"] = "first, \"quoted\" \u00e9" });
        byte[] file = stream.ToArray();

        float[] weightRead = new float[24], biasRead = new float[4], scalar = new float[1];
        using var reader = new SafetensorsReader(new MemoryStream(file));
        Assert.Equal(["fc.weight", "fc.bias", "scalar", "empty"], reader.Names);
        Assert.Equal("first, \"quoted\" \u00e9", reader.Metadata["a"]);
        reader.Read([new SafetensorsTensor("fc.bias", [4], biasRead), new SafetensorsTensor("fc.weight", [4, 6], weightRead),
            new SafetensorsTensor("scalar", [], scalar), new SafetensorsTensor("empty", [0, 3], Memory<float>.Empty)]);
        Assert.Equal(Bits(weight), Bits(weightRead));
        Assert.Equal(Bits(bias), Bits(biasRead));
        Assert.Equal(2.5f, scalar[0]);
        Assert.Throws<InvalidOperationException>(() => reader.Read([]));
        reader.Dispose();
        Assert.Throws<ObjectDisposedException>(() => reader.Read([]));

        // Leave-open is honoured; without it the stream is closed.
        var open = new MemoryStream(file);
        new SafetensorsReader(open, leaveOpen: true).Dispose();
        Assert.True(open.CanRead);
        new SafetensorsReader(open = new MemoryStream(file)).Dispose();
        Assert.False(open.CanRead);
    }
}
