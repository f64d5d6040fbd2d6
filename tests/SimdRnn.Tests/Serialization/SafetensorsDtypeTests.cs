using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Serialization;

/// <summary>F16 and BF16 files, written by hand, against conversions written here from the formats' definitions.</summary>
public class SafetensorsDtypeTests
{
    /// <summary>IEEE 754 binary16: 1 sign, 5 exponent (bias 15), 10 fraction bits.</summary>
    internal static float ReferenceHalf(ushort bits) => Reference(bits, exponentBits: 5, fractionBits: 10);

    /// <summary>bfloat16: 1 sign, 8 exponent (bias 127), 7 fraction bits.</summary>
    internal static float ReferenceBFloat16(ushort bits) => Reference(bits, exponentBits: 8, fractionBits: 7);

    private static float Reference(ushort bits, int exponentBits, int fractionBits)
    {
        int bias = (1 << (exponentBits - 1)) - 1, maxExponent = (1 << exponentBits) - 1;
        int exponent = (bits >> fractionBits) & maxExponent, fraction = bits & ((1 << fractionBits) - 1);
        double sign = (bits & 0x8000) != 0 ? -1 : 1;
        if (exponent == maxExponent) return (float)(fraction == 0 ? sign * double.PositiveInfinity : double.NaN);
        double magnitude = exponent == 0
            ? Math.ScaleB(fraction, 1 - bias - fractionBits) // subnormal
            : Math.ScaleB((1 << fractionBits) + fraction, exponent - bias - fractionBits);
        return (float)(sign * magnitude); // exact: both formats fit in float32
    }

    internal static void AssertConverted(ushort bits, float expected, float actual, string what)
    {
        if (float.IsNaN(expected))
            Assert.True(float.IsNaN(actual) && float.IsNegative(actual) == ((bits & 0x8000) != 0), $"{what} 0x{bits:X4}: {actual} is not a NaN of the same sign");
        else
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual), $"{what} 0x{bits:X4}: {actual:R}, expected {expected:R}");
    }

    [Theory]
    [InlineData("F16")]
    [InlineData("BF16")]
    public void Every_16_bit_pattern_converts_exactly(string dtype)
    {
        ushort[] every = [.. Enumerable.Range(0, 65536).Select(i => (ushort)i)];
        byte[] file = HandWrittenSafetensors.File([HandWrittenTensor.Bits16("all", dtype, [256, 256], every)]);
        foreach (Stream stream in new Stream[] { new MemoryStream(file), new TrickleStream(file) })
        {
            var values = new float[65536];
            using (var reader = new SafetensorsReader(stream)) reader.Read([new SafetensorsTensor("all", [256, 256], values)]);
            for (int i = 0; i < every.Length; i++)
                AssertConverted(every[i], dtype == "F16" ? ReferenceHalf(every[i]) : ReferenceBFloat16(every[i]), values[i], dtype);
        }
    }

    [Fact]
    public void Parameters_read_from_a_file_of_mixed_dtypes()
    {
        var parameters = new RecurrentParameters(CellKind.Gru, 3, 2, 2, bidirectional: true);
        var random = new Random(7);
        var expected = new float[parameters.All.Length];
        var sourceBits = new ushort[parameters.All.Length]; // the 16-bit patterns, for the sign of a NaN
        var tensors = new List<HandWrittenTensor>();
        string[] dtypes = ["F32", "F16", "BF16"];
        int offset = 0;
        for (int t = 0; t < parameters.Names.Count; t++)
        {
            string name = parameters.Names[t], dtype = dtypes[t % 3];
            long[] shape = [.. parameters.Shape(name).Select(d => (long)d)];
            int length = parameters[name].Length;
            if (dtype == "F32")
            {
                float[] values = [.. Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1))];
                values.CopyTo(expected, offset);
                tensors.Add(HandWrittenTensor.F32("gru." + name, shape, values));
            }
            else
            {
                ushort[] bits = [.. Enumerable.Range(0, length).Select(_ => (ushort)random.Next(65536))];
                for (int i = 0; i < length; i++) expected[offset + i] = dtype == "F16" ? ReferenceHalf(bits[i]) : ReferenceBFloat16(bits[i]);
                bits.CopyTo(sourceBits, offset);
                tensors.Add(HandWrittenTensor.Bits16("gru." + name, dtype, shape, bits));
            }

            offset += length;
        }

        byte[] file = HandWrittenSafetensors.File(tensors);
        parameters.ReadSafetensors(new MemoryStream(file), "gru.");
        RecurrentParameters loaded = RecurrentParameters.LoadSafetensors(new TrickleStream(file), "gru.");
        Assert.True(loaded.HasSameShape(parameters));
        for (int i = 0; i < expected.Length; i++)
        {
            ushort bits = sourceBits[i];
            AssertConverted(bits, expected[i], parameters.All[i], $"parameter {i}");
            AssertConverted(bits, expected[i], loaded.All[i], $"loaded parameter {i}");
        }
    }

    [Fact]
    public void Other_dtypes_may_be_in_the_file_but_are_not_read()
    {
        byte[] file = HandWrittenSafetensors.File(
        [
            HandWrittenTensor.F32("fc.bias", [2], [1, 2]), new HandWrittenTensor("fc.steps", "I64", [1], BitConverter.GetBytes(3L)),
            new HandWrittenTensor("mask", "BOOL", [3], [1, 0, 1]),
        ]);
        var bias = new float[2];
        using (var reader = new SafetensorsReader(new MemoryStream(file))) reader.Read([new SafetensorsTensor("fc.bias", [2], bias)], "fc.b");
        Assert.Equal([1f, 2f], bias);
        using (var reader = new SafetensorsReader(new MemoryStream(file)))
        {
            var steps = new float[1];
            string message = Assert.Throws<InvalidDataException>(() => reader.Read([new SafetensorsTensor("fc.bias", [2], bias), new SafetensorsTensor("fc.steps", [1], steps)], "fc.")).Message;
            Assert.Contains("not F32, F16 or BF16: 'fc.steps' is I64", message);
        }
    }
}
