using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using SimdRnn.Tests.Serialization;

namespace SimdRnn.Benchmarks;

/// <summary>
/// <c>SimdRnn.Benchmarks safetensors-load [--dtype F32|F16|BF16] [--rounds 7]</c>: writes a 100.7 MB F32 checkpoint (a
/// 3-layer LSTM, I = H = 1024; as F16 or BF16 half that) to the temp folder, then times in interleaved rounds
/// File.ReadAllBytes of the file, RecurrentParameters.LoadSafetensors (shape inferred, array allocated) and
/// ReadSafetensors into parameters that exist, and prints the medians and the ratios to the plain read. The file stays
/// in the page cache, so the ratio is the loader's cost over reading the bytes. A timed run, not a BenchmarkDotNet
/// suite: one load is tens of milliseconds and allocates 100 MB, which BenchmarkDotNet's thousands of calls do not need.
/// </summary>
internal static class SafetensorsLoadTiming
{
    public static void Run(string[] args)
    {
        string dtype = Option(args, "--dtype") ?? "F32";
        int rounds = int.Parse(Option(args, "--rounds") ?? "7", CultureInfo.InvariantCulture);
        var parameters = new RecurrentParameters(CellKind.Lstm, 1024, 1024, 3);
        new Random(1).NextBytes(MemoryMarshal.AsBytes(parameters.All.AsSpan()));
        string path = Path.Combine(Path.GetTempPath(), $"simdrnn-load-{Environment.ProcessId}.safetensors");
        try
        {
            Write(parameters, dtype, path);
            Console.WriteLine($"{path}: {new FileInfo(path).Length / 1e6:F1} MB, {dtype}, {parameters.All.Length:N0} parameters; " +
                              $"{RuntimeInformation.FrameworkDescription}, {Cpu.Path}, {Environment.ProcessorCount} processors");
            var into = new RecurrentParameters(CellKind.Lstm, 1024, 1024, 3);
            (string Name, Action Action)[] cases =
            [
                ("File.ReadAllBytes", () => GC.KeepAlive(File.ReadAllBytes(path))),
                ("LoadSafetensors", () => GC.KeepAlive(RecurrentParameters.LoadSafetensors(path))),
                ("ReadSafetensors (into existing)", () =>
                {
                    using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.SequentialScan);
                    into.ReadSafetensors(stream);
                }),
            ];
            foreach ((_, Action action) in cases) action(); // warm up: JIT, page cache
            var times = cases.Select(_ => new List<double>()).ToArray();
            for (int round = 0; round < rounds; round++)
                for (int c = 0; c < cases.Length; c++)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    var clock = Stopwatch.StartNew();
                    cases[c].Action();
                    times[c].Add(clock.Elapsed.TotalMilliseconds);
                }

            double baseline = Median(times[0]);
            for (int c = 0; c < cases.Length; c++)
                Console.WriteLine($"{cases[c].Name,-32} median {Median(times[c]),7:F1} ms  ({Median(times[c]) / baseline:F2}x)  rounds: " +
                                  string.Join(" ", times[c].Select(t => t.ToString("F1", CultureInfo.InvariantCulture))));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void Write(RecurrentParameters parameters, string dtype, string path)
    {
        if (dtype == "F32")
        {
            using FileStream file = File.Create(path);
            parameters.WriteSafetensors(file);
            return;
        }

        // The library writes F32 only: F16 by rounding each value, BF16 by keeping each value's top 16 bits.
        var tensors = parameters.Names.Select(name =>
        {
            ushort[] bits = [.. parameters[name].ToArray().Select(v => dtype == "F16" ? BitConverter.HalfToUInt16Bits((Half)v) : (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16))];
            return HandWrittenTensor.Bits16(name, dtype, [.. parameters.Shape(name).Select(d => (long)d)], bits);
        });
        File.WriteAllBytes(path, HandWrittenSafetensors.File(tensors));
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static string? Option(string[] args, string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
}
