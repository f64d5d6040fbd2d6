using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Serialization;

/// <summary>
/// Valid files of random stacks (cell, layers, directions, sizes, prefix, F32 / F16 / BF16 per tensor, other tensors
/// and metadata around them), mutated at the byte level and in the JSON, then loaded four ways from a seekable or a
/// trickling stream. Every outcome must be a load that equals the file as an independent decoding here reads it (and the
/// file consistent), or an <see cref="InvalidDataException"/>: never another exception, never a hang, never an
/// allocation beyond what the file's real size explains. The counts per mutation and outcome go to the test output.
/// </summary>
public class SafetensorsFuzzTests
{
    private const int Tries = 5000;

    public enum Mutation { None, FlipBit, InsertBytes, DeleteBytes, HeaderLength, Truncate, AppendBytes, Offsets, Shape, Dtype, Name, JsonText, SwapRanges }

    /// <summary>How the file is read: inferred, inferred with the cell given, into parameters, through the general reader.</summary>
    public enum Target { Load, LoadWithCell, ReadIntoParameters, Reader }

    public sealed record Draw(Mutation Mutation, Target Target, bool Seekable, int Seed);

    private static readonly ConcurrentDictionary<string, int> Counts = new();

    private static Gen<Draw> Draws =>
        from mutation in Gen.Elements(Enum.GetValues<Mutation>())
        from target in Gen.Elements(Enum.GetValues<Target>())
        from seekable in Gen.Elements(true, false)
        from seed in Gen.Choose(0, int.MaxValue)
        select new Draw(mutation, target, seekable, seed);

    [Fact]
    public void Mutated_files_load_as_they_read_or_are_refused_with_InvalidDataException()
    {
        Counts.Clear();
        Prop.ForAll(Draws.ToArbitrary(), Check).Check(Config.QuickThrowOnFailure.WithMaxTest(Tries).WithQuietOnSuccess(true));

        var output = TestContext.Current.TestOutputHelper;
        int loaded = Counts.Where(c => c.Key.EndsWith("/loaded", StringComparison.Ordinal)).Sum(c => c.Value);
        output?.WriteLine($"safetensors mutations tried: {Counts.Values.Sum()} (loaded {loaded}, refused with InvalidDataException {Counts.Values.Sum() - loaded})");
        foreach (Mutation mutation in Enum.GetValues<Mutation>())
            output?.WriteLine($"  {mutation}: loaded {Counts.GetValueOrDefault($"{mutation}/loaded")}, refused {Counts.GetValueOrDefault($"{mutation}/refused")}");
        output?.WriteLine("(loaded: equal to an independent decoding of a whole file; refused: InvalidDataException)");
        foreach (Mutation mutation in Enum.GetValues<Mutation>())
            Assert.True(Counts.ContainsKey($"{mutation}/loaded") || Counts.ContainsKey($"{mutation}/refused"), $"never tried: {mutation}");
        // Some mutations leave a valid file (a flipped bit in the data, a shape [4, 2] made [4, 2, 1] outside the prefix).
        Assert.True(Counts.GetValueOrDefault("FlipBit/loaded") > 0 && Counts.GetValueOrDefault("FlipBit/refused") > 0, "flipped bits never both loaded and refused");
    }

    private static void Check(Draw draw)
    {
        var random = new Random(draw.Seed);
        Stack stack = Stack.Random(random);
        byte[] file = Mutate(stack, draw.Mutation, random);
        Exception? caught = null;
        RecurrentParameters? result = null;
        long allocated = 0;
        var task = Task.Run(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                result = Load(stack, draw, file);
            }
            catch (Exception error)
            {
                caught = error;
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        });
        Assert.True(task.Wait(TimeSpan.FromSeconds(30)), $"no answer within 30 s ({draw})");
        Assert.True(caught is null or InvalidDataException, $"{caught?.GetType().Name}: {caught?.Message} ({draw})\n{caught?.StackTrace}");
        Assert.True(allocated < (1 << 20) + 16L * file.Length, $"{allocated} bytes allocated for a file of {file.Length} ({draw})");
        if (caught is null) AssertReadsAsLoaded(file, stack.Prefix, result!, draw);
        else if (draw.Mutation == Mutation.None)
            Assert.True(draw.Target == Target.Load && stack.Cell is CellKind.RnnTanh or CellKind.RnnRelu && !stack.RecordsCell,
                $"a valid file was refused: {caught.Message} ({draw})");
        Counts.AddOrUpdate($"{draw.Mutation}/{(caught is null ? "loaded" : "refused")}", 1, (_, c) => c + 1);
    }

    private static RecurrentParameters Load(Stack stack, Draw draw, byte[] file)
    {
        Stream stream = draw.Seekable ? new MemoryStream(file) : new TrickleStream(file, draw.Seed);
        switch (draw.Target)
        {
            case Target.Load:
                return RecurrentParameters.LoadSafetensors(stream, stack.Prefix);
            case Target.LoadWithCell:
                return RecurrentParameters.LoadSafetensors(stream, stack.Prefix, stack.Cell);
            case Target.ReadIntoParameters:
                RecurrentParameters parameters = stack.Empty();
                parameters.ReadSafetensors(stream, stack.Prefix);
                return parameters;
            default:
                RecurrentParameters into = stack.Empty();
                using (var reader = new SafetensorsReader(stream))
                    reader.Read(into.Names.Select(name => new SafetensorsTensor(stack.Prefix + name, into.Shape(name), into[name])), stack.Prefix);
                return into;
        }
    }

    /// <summary>
    /// The oracle of a load that succeeded, written apart from the library: the file is whole (a JSON object header,
    /// names once, known dtypes, ranges that tile the data and end where the file does), the tensors under the prefix are
    /// exactly the loaded ones, and each loaded value is what its bytes say.
    /// </summary>
    private static void AssertReadsAsLoaded(byte[] file, string prefix, RecurrentParameters loaded, Draw draw)
    {
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(file);
        using JsonDocument header = JsonDocument.Parse(file.AsMemory(8, (int)length));
        var ranges = new List<(long Begin, long End)>();
        var names = new HashSet<string>();
        var tensors = new Dictionary<string, (string DType, long[] Shape, long Begin)>();
        foreach (JsonProperty entry in header.RootElement.EnumerateObject())
        {
            Assert.True(names.Add(entry.Name), $"loaded a file that names '{entry.Name}' twice ({draw})");
            if (entry.Name == "__metadata__") continue;
            string dtype = entry.Value.GetProperty("dtype").GetString()!;
            long[] shape = [.. entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64())];
            long[] offsets = [.. entry.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64())];
            int size = dtype switch { "F64" or "I64" or "U64" or "C64" => 8, "F32" or "I32" or "U32" => 4, "F16" or "BF16" or "I16" or "U16" => 2, _ => 1 };
            Assert.Equal(shape.Aggregate((long)size, (a, b) => a * b), offsets[1] - offsets[0]);
            ranges.Add((offsets[0], offsets[1]));
            tensors[entry.Name] = (dtype, shape, offsets[0]);
        }

        long end = 0;
        foreach ((long begin, long rangeEnd) in ranges.OrderBy(r => r.Begin).ThenBy(r => r.End))
        {
            Assert.True(begin == end, $"loaded a file whose ranges do not tile its data ({draw})");
            end = rangeEnd;
        }

        Assert.True(8 + (long)length + end == file.Length, $"loaded a file of {file.Length} bytes whose header describes {8 + (long)length + end} ({draw})");
        Assert.Equal(tensors.Keys.Where(name => name.StartsWith(prefix, StringComparison.Ordinal)).Order(), loaded.Names.Select(name => prefix + name).Order());
        ReadOnlySpan<byte> data = file.AsSpan(8 + (int)length);
        foreach (string name in loaded.Names)
        {
            (string dtype, long[] shape, long begin) = tensors[prefix + name];
            Assert.Equal(loaded.Shape(name).Select(d => (long)d), shape);
            Span<float> values = loaded[name].Span;
            for (int i = 0; i < values.Length; i++)
            {
                if (dtype == "F32")
                {
                    Assert.Equal(BinaryPrimitives.ReadInt32LittleEndian(data[(int)(begin + 4 * i)..]), BitConverter.SingleToInt32Bits(values[i]));
                    continue;
                }

                Assert.True(dtype is "F16" or "BF16", $"loaded '{prefix + name}' of dtype {dtype} ({draw})");
                ushort bits = BinaryPrimitives.ReadUInt16LittleEndian(data[(int)(begin + 2 * i)..]);
                SafetensorsDtypeTests.AssertConverted(bits, dtype == "F16" ? SafetensorsDtypeTests.ReferenceHalf(bits) : SafetensorsDtypeTests.ReferenceBFloat16(bits),
                    values[i], $"{prefix + name}[{i}]");
            }
        }
    }

    /// <summary>A random stack written as a file: header entries (raw JSON per field, so mutations can break them) and data.</summary>
    private sealed class Stack
    {
        private static readonly string[] Prefixes = ["", "rnn.", "encoder.lstm."];

        public required CellKind Cell { get; init; }
        public required int InputSize, HiddenSize, Layers;
        public required bool Bidirectional, RecordsCell;
        public required string Prefix { get; init; }
        public required List<Entry> Entries { get; init; } // in header order
        public required Dictionary<string, string> Metadata { get; init; }
        public required byte[] Data { get; init; }

        public RecurrentParameters Empty() => new(Cell, InputSize, HiddenSize, Layers, Bidirectional);

        public static Stack Random(Random random)
        {
            var cell = (CellKind)random.Next(4);
            string prefix = Prefixes[random.Next(Prefixes.Length)];
            var parameters = new RecurrentParameters(cell, 1 + random.Next(4), 1 + random.Next(3), 1 + random.Next(2), random.Next(2) == 1);
            var tensors = new List<HandWrittenTensor>();
            foreach (string name in parameters.Names)
            {
                long[] shape = [.. parameters.Shape(name).Select(d => (long)d)];
                int count = parameters[name].Length;
                tensors.Add(random.Next(3) switch
                {
                    0 => HandWrittenTensor.F32(prefix + name, shape, RandomFloats(random, count)),
                    1 => HandWrittenTensor.Bits16(prefix + name, "F16", shape, RandomBits(random, count)),
                    _ => HandWrittenTensor.Bits16(prefix + name, "BF16", shape, RandomBits(random, count)),
                });
            }

            if (prefix.Length > 0)
            {
                tensors.Insert(random.Next(tensors.Count + 1), HandWrittenTensor.F32("fc.weight", [2, 3], RandomFloats(random, 6)));
                tensors.Insert(random.Next(tensors.Count + 1), new HandWrittenTensor("steps", "I64", [], BitConverter.GetBytes((long)random.Next())));
            }

            // The data in one order, the header in another (as real writers do).
            var entries = new List<Entry>();
            long offset = 0;
            foreach (HandWrittenTensor tensor in tensors)
            {
                entries.Add(new Entry(tensor.Name, Json(tensor.DType), $"[{string.Join(",", tensor.Shape)}]", $"[{offset},{offset + tensor.Bytes.Length}]"));
                offset += tensor.Bytes.Length;
            }

            bool recordsCell = random.Next(2) == 0;
            var metadata = new Dictionary<string, string>();
            if (recordsCell) metadata[prefix + "cell"] = cell.ToString();
            if (random.Next(2) == 0) metadata["format"] = "pt";
            return new Stack
            {
                Cell = cell, InputSize = parameters.InputSize, HiddenSize = parameters.HiddenSize, Layers = parameters.Layers,
                Bidirectional = parameters.Directions == 2, RecordsCell = recordsCell, Prefix = prefix,
                Entries = [.. entries.OrderBy(_ => random.Next())], Metadata = metadata, Data = [.. tensors.SelectMany(t => t.Bytes)],
            };
        }

        public string Header()
        {
            var parts = new List<string>();
            if (Metadata.Count > 0) parts.Add($"\"__metadata__\":{{{string.Join(",", Metadata.Select(m => $"{Json(m.Key)}:{Json(m.Value)}"))}}}");
            parts.AddRange(Entries.Select(e => $"{Json(e.Name)}:{{\"dtype\":{e.DType},\"shape\":{e.Shape},\"data_offsets\":{e.Offsets}}}"));
            return "{" + string.Join(",", parts) + "}";
        }

        private static float[] RandomFloats(Random random, int count)
        {
            var values = new float[count];
            random.NextBytes(MemoryMarshal.AsBytes(values.AsSpan()));
            return values;
        }

        private static ushort[] RandomBits(Random random, int count) => [.. Enumerable.Range(0, count).Select(_ => (ushort)random.Next(65536))];
    }

    /// <summary>One header entry; each field is its raw JSON text.</summary>
    private sealed record Entry(string Name, string DType, string Shape, string Offsets);

    private static string Json(string text) => HandWrittenSafetensors.Json(text);

    private static byte[] Mutate(Stack stack, Mutation mutation, Random random)
    {
        byte[] Assemble() => HandWrittenSafetensors.Assemble(stack.Header(), stack.Data);
        int Pick() => random.Next(stack.Entries.Count);
        void Replace(int index, Func<Entry, Entry> change) => stack.Entries[index] = change(stack.Entries[index]);
        byte[] file;
        switch (mutation)
        {
            case Mutation.None:
                return Assemble();
            case Mutation.FlipBit:
                file = Assemble();
                int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
                // Half in the header (and its length), half in the data.
                int at = random.Next(2) == 0 ? random.Next(headerEnd) : headerEnd + random.Next(Math.Max(1, file.Length - headerEnd));
                if (at < file.Length) file[at] ^= (byte)(1 << random.Next(8));
                return file;
            case Mutation.InsertBytes:
                file = Assemble();
                int insertAt = random.Next(file.Length + 1);
                var inserted = new byte[1 + random.Next(8)];
                random.NextBytes(inserted);
                return [.. file[..insertAt], .. inserted, .. file[insertAt..]];
            case Mutation.DeleteBytes:
                file = Assemble();
                int deleteAt = random.Next(file.Length);
                return [.. file[..deleteAt], .. file[Math.Min(file.Length, deleteAt + 1 + random.Next(8))..]];
            case Mutation.HeaderLength:
                file = Assemble();
                ulong length = BinaryPrimitives.ReadUInt64LittleEndian(file);
                ulong[] lengths = [length + 1 + (ulong)random.Next(16), length - 1 - (ulong)random.Next(Math.Min(16, (int)length)), 0, 1, 100_000_001,
                    (ulong)file.Length, ulong.MaxValue, (ulong)random.NextInt64(), 1UL << 63];
                BinaryPrimitives.WriteUInt64LittleEndian(file, lengths[random.Next(lengths.Length)]);
                return file;
            case Mutation.Truncate:
                file = Assemble();
                return file[..random.Next(file.Length)];
            case Mutation.AppendBytes:
                var appended = new byte[1 + random.Next(16)];
                random.NextBytes(appended);
                return [.. Assemble(), .. appended];
            case Mutation.Offsets:
                Replace(Pick(), e =>
                {
                    long[] offsets = [.. e.Offsets.Trim('[', ']').Split(',').Select(long.Parse)];
                    long delta = 1 + random.Next(8);
                    string[] choices =
                    [
                        $"[{offsets[0] + delta},{offsets[1] + delta}]", $"[{offsets[0] - delta},{offsets[1] - delta}]", $"[{offsets[0]},{offsets[1] + delta}]",
                        $"[{offsets[0]},{offsets[1] - delta}]", $"[{offsets[1]},{offsets[0]}]", $"[{offsets[0]},{long.MaxValue}]", $"[{offsets[0]},18446744073709551616]",
                        $"[{offsets[0]}]", $"[{offsets[0]},{offsets[1]},{offsets[1]}]", "{}", "\"0,4\"", $"[{offsets[0]}.5,{offsets[1]}]", $"[{offsets[0]},{offsets[1] + 4L * int.MaxValue}]",
                    ];
                    return e with { Offsets = choices[random.Next(choices.Length)] };
                });
                return Assemble();
            case Mutation.Shape:
                Replace(Pick(), e =>
                {
                    string inner = e.Shape.Trim('[', ']');
                    string[] choices =
                    [
                        $"[{inner}{(inner.Length > 0 ? "," : "")}1]", $"[1{(inner.Length > 0 ? "," : "")}{inner}]", "[]", $"[{random.Next(10)}]",
                        "[4611686018427387904,4]", "[4294967296,4294967296,4294967296]", "[-1]", "[0]", "[1e3]", "\"4\"", "null",
                        $"[{string.Join(",", inner.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(d => long.Parse(d) + (random.Next(2) == 0 ? 1 : -1)))}]",
                    ];
                    return e with { Shape = choices[random.Next(choices.Length)] };
                });
                return Assemble();
            case Mutation.Dtype:
                string[] dtypes = ["\"F32\"", "\"F16\"", "\"BF16\"", "\"F64\"", "\"I64\"", "\"U8\"", "\"BOOL\"", "\"F33\"", "\"f32\"", "\"F4\"", "5", "null", "[\"F32\"]", "\"\""];
                Replace(Pick(), e => e with { DType = dtypes[random.Next(dtypes.Length)] });
                return Assemble();
            case Mutation.Name:
                int index = Pick();
                string name = stack.Entries[index].Name;
                string[] names =
                [
                    stack.Entries[random.Next(stack.Entries.Count)].Name, "__metadata__", name + "_reverse", name.Replace("_l0", "_l1"), name.Replace("_l1", "_l0"),
                    name.StartsWith(stack.Prefix, StringComparison.Ordinal) ? name[stack.Prefix.Length..] : stack.Prefix + name, "x" + name, "", name.ToUpperInvariant(), name.Replace("weight", "bias"), name + "\u0000", name.Replace("_l0", "_l01"),
                ];
                Replace(index, e => e with { Name = names[random.Next(names.Length)] });
                return Assemble();
            case Mutation.JsonText:
                string header = stack.Header();
                int position = random.Next(header.Length + 1);
                string[] fragments = ["{", "}", "[", "]", ",", ":", "\"", "\\", " ", "0", "-", "\\u00", "\\ud800", "\u00e9", "\"__metadata__\":{\"a\":1},", "\"__metadata__\":{},"];
                string edited = random.Next(5) switch
                {
                    0 => header[..position],
                    1 => header[..position] + fragments[random.Next(fragments.Length)] + header[position..],
                    2 => header[..position] + header[Math.Min(header.Length, position + 1 + random.Next(4))..],
                    3 => new[] { "[" + header + "]", "null", "\"" + header.Replace("\"", "'") + "\"", "42", "{}", " " + header + "\n" }[random.Next(6)],
                    _ => "{" + fragments[fragments.Length - 2 + random.Next(2)] + header[1..],
                };
                return HandWrittenSafetensors.Assemble(edited, stack.Data);
            default: // SwapRanges: consistent when the two tensors are the same size, a length mismatch otherwise
                int first = Pick(), second = Pick();
                (string a, string b) = (stack.Entries[first].Offsets, stack.Entries[second].Offsets);
                Replace(first, e => e with { Offsets = b });
                Replace(second, e => e with { Offsets = a });
                return Assemble();
        }
    }
}
