using System.Buffers.Binary;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Serialization;

/// <summary>
/// One file for each way the format can be broken, each refused with an <see cref="InvalidDataException"/> that says
/// what is wrong and names the tensor (or the header), whether the stream can seek or not, before anything is written
/// (for a stream that cannot seek, a file that ends early is found while reading).
/// </summary>
public class SafetensorsHostileInputTests
{
    // A valid 1-layer LSTM with I = 2, H = 1: weight_ih_l0 [4, 2] at [0, 32), weight_hh_l0 [4, 1] at [32, 48),
    // bias_ih_l0 [4] at [48, 64), bias_hh_l0 [4] at [64, 80).
    private static readonly RecurrentParameters Valid = SafetensorsRoundTripTests.RandomParameters(CellKind.Lstm, 2, 1, 1, false, seed: 11);
    private static readonly (string Header, byte[] Data) Parts = HandWrittenSafetensors.Split(HandWrittenSafetensors.File(HandWrittenSafetensors.Tensors(Valid, "")));

    private static byte[] Edit(string from, string to)
    {
        Assert.Contains(from, Parts.Header);
        return HandWrittenSafetensors.Assemble(Parts.Header.TrimEnd().Replace(from, to), Parts.Data);
    }

    private static byte[] Whole() => HandWrittenSafetensors.Assemble(Parts.Header.TrimEnd(), Parts.Data);

    private static byte[] WithLength(ulong length) => HandWrittenSafetensors.Assemble(Parts.Header.TrimEnd(), Parts.Data, length);

    private static readonly Dictionary<string, (Func<byte[]> File, string Expected)> Cases = new()
    {
        ["shorter than the length field"] = (() => [1, 2, 3, 4, 5], "Invalid safetensors header: the file has 5 bytes, fewer than the 8"),
        ["empty file"] = (() => [], "the file has 0 bytes"),
        ["header length past the end"] = (() => WithLength(1000), "Invalid safetensors header: its length 1000 is past the end of the file"),
        ["header length above 100 MB"] = (() => WithLength(100_000_001), "its length 100000001 is larger than the limit of 100000000 bytes"),
        ["header length 2^64 - 1"] = (() => WithLength(ulong.MaxValue), "its length 18446744073709551615 is larger than the limit"),
        ["header length 0"] = (() => WithLength(0), "Invalid safetensors header: it is not valid JSON"),
        ["header length cutting the JSON"] = (() => WithLength(40), "Invalid safetensors header: it is not valid JSON"),
        ["malformed JSON"] = (() => HandWrittenSafetensors.Assemble("{\"a\":", []), "it is not valid JSON"),
        ["not UTF-8"] = (() => HandWrittenSafetensors.Assemble("{\"\u00ff\":1}", []).Select(b => b == 0xC3 ? (byte)0xFF : b).ToArray(), "it is not valid UTF-8"),
        ["an escaped lone surrogate in a name"] = (() => HandWrittenSafetensors.Assemble("{\"\\ud800\":1}", []), "Invalid safetensors header: a name or string is not valid text"),
        ["an escaped lone surrogate in a dtype"] = (() => Edit("\"dtype\":\"F32\"", "\"dtype\":\"F\\udc00\""), "Invalid safetensors header: a name or string is not valid text"),
        ["array header"] = (() => HandWrittenSafetensors.Assemble("[1, 2]", []), "Invalid safetensors header: it is a JSON Array, not an object"),
        ["number header"] = (() => HandWrittenSafetensors.Assemble("42", []), "it is a JSON Number, not an object"),
        ["unknown dtype"] = (() => Edit("\"weight_hh_l0\":{\"dtype\":\"F32\"", "\"weight_hh_l0\":{\"dtype\":\"F33\""), "tensor 'weight_hh_l0': unknown dtype 'F33'"),
        ["dtype not a string"] = (() => Edit("\"bias_ih_l0\":{\"dtype\":\"F32\"", "\"bias_ih_l0\":{\"dtype\":4"), "tensor 'bias_ih_l0': its dtype is not a string"),
        ["shape product overflowing"] = (() => Edit("\"shape\":[4,2]", "\"shape\":[1099511627776,1099511627776,4]"), "tensor 'weight_ih_l0': shape [1099511627776, 1099511627776, 4] of F32 holds more than 2^63 bytes"),
        ["negative dimension"] = (() => Edit("\"shape\":[4,2]", "\"shape\":[-4,-2]"), "tensor 'weight_ih_l0': its shape holds '-4', not a non-negative 64-bit integer"),
        ["fractional dimension"] = (() => Edit("\"shape\":[4,2]", "\"shape\":[4,2.0]"), "tensor 'weight_ih_l0': its shape holds '2.0'"),
        ["shape not an array"] = (() => Edit("\"shape\":[4,2]", "\"shape\":8"), "tensor 'weight_ih_l0': its shape is a JSON Number, not an array"),
        ["range length not dtype x shape"] = (() => Edit("\"shape\":[4,2]", "\"shape\":[4,3]"), "tensor 'weight_ih_l0': data_offsets [0, 32) hold 32 bytes, but F32 x [4, 3] needs 48"),
        ["range ending before it begins"] = (() => Edit("[64,80]", "[80,64]"), "tensor 'bias_hh_l0': data_offsets [80, 64) ends before it begins"),
        ["range past the end"] = (() => Edit("\"shape\":[4],\"data_offsets\":[64,80]", "\"shape\":[8],\"data_offsets\":[64,96]"), "the file ends 16 bytes before the end of the data it describes"),
        ["overlapping ranges"] = (() => Edit("[32,48]", "[28,44]"), "tensor 'weight_hh_l0': its data [28, 44) overlaps that of 'weight_ih_l0' [0, 32)"),
        ["a gap between ranges"] = (() => Edit("[48,64]", "[52,68]"), "its data starts at 52, but bytes [48, 52) of the data belong to no tensor"),
        ["data not starting at 0"] = (() => Edit("[0,32]", "[4,36]"), "tensor 'weight_ih_l0': its data starts at 4, but bytes [0, 4) of the data belong to no tensor"),
        ["offsets with three numbers"] = (() => Edit("[64,80]", "[64,80,96]"), "tensor 'bias_hh_l0': data_offsets has 3 numbers, not 2"),
        ["offsets past 2^63"] = (() => Edit("[64,80]", "[64,18446744073709551615]"), "tensor 'bias_hh_l0': its data_offsets holds '18446744073709551615'"),
        ["a name twice"] = (() => Edit("\"bias_hh_l0\":", "\"bias_ih_l0\":"), "tensor 'bias_ih_l0': the header names it twice"),
        ["a field twice"] = (() => Edit("\"data_offsets\":[64,80]", "\"data_offsets\":[64,80],\"data_offsets\":[64,80]"), "tensor 'bias_hh_l0': its entry has two 'data_offsets' fields"),
        ["a field missing"] = (() => Edit("\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[64,80]", "\"dtype\":\"F32\",\"data_offsets\":[64,80]"), "tensor 'bias_hh_l0': its entry lacks 'shape'"),
        ["an entry not an object"] = (() => HandWrittenSafetensors.Assemble("{\"x\":[1]}", []), "tensor 'x': its entry is a JSON Array, not an object"),
        ["metadata not strings"] = (() => HandWrittenSafetensors.Assemble("{\"__metadata__\":{\"a\":1}}", []), "__metadata__ entry 'a' is a JSON Number, not a string"),
        ["metadata not an object"] = (() => HandWrittenSafetensors.Assemble("{\"__metadata__\":\"a\"}", []), "__metadata__ is a JSON String, not an object of strings"),
        ["metadata twice"] = (() => HandWrittenSafetensors.Assemble("{\"__metadata__\":{},\"__metadata__\":{}}", []), "it has two __metadata__ entries"),
        ["trailing garbage"] = (() => [.. Whole(), 1, 2, 3], "Invalid safetensors header: 3 bytes follow the end of the last tensor's data"),
        ["truncated data"] = (() => Whole()[..^5], "the file ends 5 bytes before the end of the data it describes"),
        ["a control character in a hostile name"] = (() => HandWrittenSafetensors.Assemble("{\"\\u001b[2J\":[]}", []), "tensor '?[2J': its entry is a JSON Array"),
        ["a very long name"] = (() => HandWrittenSafetensors.Assemble("{\"" + new string('n', 5000) + "\":1}", []), "...' (5000 characters): its entry is a JSON Number"),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    // A stream that cannot seek has no length to check the header against: these are found while reading.
    private static readonly string[] FoundWhileReading = ["header length past the end", "range past the end", "trailing garbage", "truncated data"];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void A_broken_file_is_refused_saying_what_is_wrong(string caseName)
    {
        (Func<byte[]> make, string expected) = Cases[caseName];
        byte[] file = make();
        var parameters = new RecurrentParameters(CellKind.Lstm, 2, 1);
        Array.Fill(parameters.All, 7f);
        string message = Assert.Throws<InvalidDataException>(() => parameters.ReadSafetensors(new MemoryStream(file))).Message;
        Assert.Contains(expected, message);
        Assert.All(parameters.All, value => Assert.Equal(7f, value));
        Assert.Equal(message, Assert.Throws<InvalidDataException>(() => RecurrentParameters.LoadSafetensors(new MemoryStream(file))).Message);
        // Loading reads a stream that cannot seek into memory first, so it says the same.
        Assert.Equal(message, Assert.Throws<InvalidDataException>(() => RecurrentParameters.LoadSafetensors(new TrickleStream(file))).Message);
        string trickled = Assert.Throws<InvalidDataException>(() => parameters.ReadSafetensors(new TrickleStream(file))).Message;
        if (!FoundWhileReading.Contains(caseName))
        {
            Assert.Equal(message, trickled);
            Assert.All(parameters.All, value => Assert.Equal(7f, value));
        }
    }

    [Fact]
    public void The_unmodified_file_of_the_cases_loads()
    {
        byte[] file = Whole();
        Assert.Equal(SafetensorsRoundTripTests.Bits(Valid.All), SafetensorsRoundTripTests.Bits(RecurrentParameters.LoadSafetensors(new MemoryStream(file)).All));
    }

    [Fact]
    public void A_stream_that_cannot_seek_is_refused_when_it_ends_early_or_runs_on()
    {
        byte[] file = Whole();
        var parameters = new RecurrentParameters(CellKind.Lstm, 2, 1);
        Assert.Contains("tensor 'bias_hh_l0': the file ends inside its data",
            Assert.Throws<InvalidDataException>(() => parameters.ReadSafetensors(new TrickleStream(file[..^5]))).Message);
        Assert.Contains("bytes follow the end of the last tensor's data",
            Assert.Throws<InvalidDataException>(() => parameters.ReadSafetensors(new TrickleStream([.. file, 0]))).Message);
        Assert.Contains("the file ends after 3 of its 100 bytes",
            Assert.Throws<InvalidDataException>(() => new SafetensorsReader(new TrickleStream([100, 0, 0, 0, 0, 0, 0, 0, .. "{\"a"u8]))).Message);
        // Skipped tensors too: bias_ih_l0 is read, the file ends inside bias_hh_l0 after it.
        var bias = new float[4];
        using var reader = new SafetensorsReader(new TrickleStream(file[..^5]));
        Assert.Contains("tensor 'bias_hh_l0': the file ends before its data",
            Assert.Throws<InvalidDataException>(() => reader.Read([new SafetensorsTensor("bias_ih_l0", [4], bias)], "bias_i")).Message);
    }

    [Fact]
    public void Nothing_is_allocated_by_a_size_the_file_claims()
    {
        // A 99 MB header claimed by a 16-byte stream that cannot seek; a 4 GB tensor claimed by a file of a few bytes.
        byte[] lying = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(lying, 99_000_000);
        byte[] huge = HandWrittenSafetensors.Assemble("{\"weight_hh_l0\":{\"dtype\":\"F32\",\"shape\":[32768,32768],\"data_offsets\":[0,4294967296]}}", new byte[64]);
        foreach (Func<object> call in new Func<object>[]
                 {
                     () => new SafetensorsReader(new TrickleStream(lying)), () => RecurrentParameters.LoadSafetensors(new TrickleStream(lying)),
                     () => RecurrentParameters.LoadSafetensors(new MemoryStream(huge)), () => RecurrentParameters.LoadSafetensors(new TrickleStream(huge)),
                 })
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Assert.Throws<InvalidDataException>(call);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated");
        }
    }
}
