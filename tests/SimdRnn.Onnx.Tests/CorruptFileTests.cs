using System.Collections.Concurrent;
using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;
using SimdRnn.Onnx.Protobuf;
using SimdRnn.Onnx.Tests.Support;
using SimdRnn.Tests.Support;

namespace SimdRnn.Onnx.Tests;

/// <summary>
/// Valid models (the PyTorch exports and random one-node models, float_data or raw_data) corrupted at the byte level
/// (truncated, bits and bytes flipped, bytes inserted, deleted, appended, garbage) and in their fields (dims, data
/// types, raw_data lengths, attribute values), then loaded from a seekable or a trickling stream. Every outcome must
/// be a load, an <see cref="InvalidDataException"/> or a <see cref="NotSupportedException"/>: never another exception,
/// never an allocation beyond what the file's real size explains. The counts go to the test output (CI prints them).
/// </summary>
public class CorruptFileTests
{
    private const int Tries = 5000;

    public enum Mutation { None, Truncate, FlipBit, FlipByte, InsertBytes, DeleteBytes, AppendBytes, Garbage, Dims, DataType, RawDataLength, AttributeValue }

    public sealed record Draw(Mutation Mutation, bool Seekable, int Seed);

    private static readonly ConcurrentDictionary<string, int> Counts = new();

    private static readonly byte[][] Exported = Fixture.Names.Select(n => File.ReadAllBytes(Fixture.Path(n + ".onnx"))).ToArray();

    private static Gen<Draw> Draws =>
        from mutation in Gen.Elements(Enum.GetValues<Mutation>())
        from seekable in Gen.Elements(true, false)
        from seed in Gen.Choose(0, int.MaxValue)
        select new Draw(mutation, seekable, seed);

    [Fact]
    public void Corrupt_files_load_or_are_refused_with_InvalidData_or_NotSupported()
    {
        Counts.Clear();
        Prop.ForAll(Draws.ToArbitrary(), Check).Check(Config.QuickThrowOnFailure.WithMaxTest(Tries).WithQuietOnSuccess(true));

        var output = TestContext.Current.TestOutputHelper;
        int Sum(string outcome) => Counts.Where(c => c.Key.EndsWith(outcome, StringComparison.Ordinal)).Sum(c => c.Value);
        output?.WriteLine($"onnx mutations tried: {Counts.Values.Sum()} (loaded {Sum("/loaded")}, InvalidDataException {Sum("/invalid")}, NotSupportedException {Sum("/unsupported")})");
        foreach (Mutation mutation in Enum.GetValues<Mutation>())
            output?.WriteLine($"  {mutation}: loaded {Counts.GetValueOrDefault($"{mutation}/loaded")}, invalid {Counts.GetValueOrDefault($"{mutation}/invalid")}, unsupported {Counts.GetValueOrDefault($"{mutation}/unsupported")}");
        Assert.True(Counts.GetValueOrDefault("None/loaded") > 0 && Sum("/invalid") > 0 && Sum("/unsupported") > 0, "an outcome never happened");
        Assert.True(Counts.GetValueOrDefault("FlipBit/loaded") > 0 && Counts.GetValueOrDefault("FlipBit/invalid") > 0, "flipped bits never both loaded and were refused");
        Assert.Equal(0, Counts.GetValueOrDefault("None/invalid") + Counts.GetValueOrDefault("None/unsupported"));
    }

    private static void Check(Draw draw)
    {
        var random = new Random(draw.Seed);
        byte[] file = Mutate(Original(random), draw.Mutation, random);
        Stream stream = draw.Seekable ? new MemoryStream(file) : new TrickleStream(file, maxRead: 7);
        long before = GC.GetAllocatedBytesForCurrentThread();
        string outcome;
        try
        {
            OnnxRecurrentModel model = OnnxRecurrentModel.Load(stream);
            Assert.NotEmpty(model.Nodes);
            outcome = "loaded";
        }
        catch (InvalidDataException)
        {
            outcome = "invalid";
        }
        catch (NotSupportedException)
        {
            outcome = "unsupported";
        }

        // The stream copy, the parsed messages and the float arrays are each a small multiple of the file.
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 40L * file.Length + (4 << 20), $"{draw}: {allocated} bytes allocated for a {file.Length}-byte file");
        Counts.AddOrUpdate($"{draw.Mutation}/{outcome}", 1, (_, n) => n + 1);
    }

    private static byte[] Original(Random random)
    {
        if (random.Next(2) == 0)
            return Exported[random.Next(Exported.Length)];
        string op = new[] { "LSTM", "GRU", "RNN" }[random.Next(3)];
        var model = new NodeModel(op, random.Next(1, 6), random.Next(1, 6), random.Next(1, 3), 2, 2, random) { RawData = random.Next(2) == 0 };
        if (random.Next(3) == 0)
            model.ConstantH0 = NodeModel.Uniform(random, model.Directions * 2 * model.Hidden);
        return model.Bytes();
    }

    private static byte[] Mutate(byte[] original, Mutation mutation, Random random)
    {
        byte[] file = (byte[])original.Clone();
        int at = random.Next(file.Length);
        switch (mutation)
        {
            case Mutation.Truncate:
                return file[..at];
            case Mutation.FlipBit:
                file[at] ^= (byte)(1 << random.Next(8));
                return file;
            case Mutation.FlipByte:
                for (int k = random.Next(1, 5); k > 0; k--)
                    file[random.Next(file.Length)] = (byte)random.Next(256);
                return file;
            case Mutation.InsertBytes:
                return [.. file[..at], .. RandomBytes(random, random.Next(1, 9)), .. file[at..]];
            case Mutation.DeleteBytes:
                return [.. file[..at], .. file[Math.Min(file.Length, at + random.Next(1, 9))..]];
            case Mutation.AppendBytes:
                return [.. file, .. RandomBytes(random, random.Next(1, 33))];
            case Mutation.Garbage:
                return RandomBytes(random, random.Next(0, 2 * file.Length));
            case Mutation.None:
                return file;
        }

        ModelProto model = ModelProto.Parser.ParseFrom(original);
        TensorProto tensor = model.Graph.Initializer[random.Next(model.Graph.Initializer.Count)];
        switch (mutation)
        {
            case Mutation.Dims when tensor.Dims.Count > 0:
                long[] values = [0, 1, -1, 2, 3, 16, 1L << 31, 1L << 40, long.MaxValue, long.MinValue, random.NextInt64()];
                tensor.Dims[random.Next(tensor.Dims.Count)] = values[random.Next(values.Length)];
                break;
            case Mutation.DataType:
                tensor.DataType = random.Next(-2, 20);
                break;
            case Mutation.RawDataLength when tensor.HasRawData:
                tensor.RawData = ByteString.CopyFrom(tensor.RawData.Span[..random.Next(tensor.RawData.Length)]);
                break;
            case Mutation.RawDataLength:
                tensor.FloatData.RemoveAt(random.Next(tensor.FloatData.Count));
                break;
            case Mutation.AttributeValue:
                NodeProto node = model.Graph.Node.First(n => n.OpType is "LSTM" or "GRU" or "RNN");
                if (node.Attribute.Count > 0)
                {
                    AttributeProto attribute = node.Attribute[random.Next(node.Attribute.Count)];
                    attribute.I = random.Next(-2, 5);
                    attribute.S = ByteString.CopyFrom(RandomBytes(random, random.Next(0, 8)));
                    attribute.Type = (AttributeProto.Types.AttributeType)random.Next(0, 9);
                }

                break;
        }

        return model.ToByteArray();
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        byte[] bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }
}
