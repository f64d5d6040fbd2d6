using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using SimdRnn.Cli;

namespace SimdRnn.OnnxRuntimeRnn;

/// <summary>
/// <c>onnxruntime_rnn --models DIR --problem ID... --threads N [--iters K] [--warmup W] [--warmup-seconds S] [--csv] [--table PATH]</c>: times
/// ONNX Runtime on the infer and stream LSTM / GRU problems of native-compare/problems.tsv (without a projection, which ONNX's
/// LSTM lacks) and prints the harnesses' CSV
/// (harness <c>onnxruntime</c>); see native-compare/README.md.
/// </summary>
internal static class Program
{
    private const string Tool = "onnxruntime_rnn";

    // ORT's and SimdRnn's y for the same weights and inputs, relative to the largest |y|.
    private const double Tolerance = 1e-4;

    private const string Usage = """
        usage: onnxruntime_rnn --models DIR --problem ID [ID...] --threads N [--iters K] [--warmup W] [--warmup-seconds S] [--csv] [--table PATH]
          --models DIR     the models export_onnx.py wrote: DIR/ID.onnx and DIR/ID.weights.f32
          --problem ID...  infer and stream lstm / gru problems of the table without a projection (default: all of them): {0}
          --threads N      ONNX Runtime's intra-op threads (inter-op 1, sequential execution; default 1)
          --iters K        timed calls per problem, K >= 10 (default 20)
          --warmup W       untimed calls first, W >= 1 (default 3) ...
          --warmup-seconds S  ... and for at least S seconds (default 1), so that .NET has replaced its
                           first, unoptimized code of the calls by the optimized one before the timing
          --csv            print CSV (harness,problem,threads,ms_median,gflops); also the default
          --table PATH     the problem table (default: native-compare/problems.tsv as embedded at build time)
        Inputs and outputs are bound once (OrtIoBinding); a stream problem carries hT/cT of a call to h0/c0 of the next.
        Before timing, each problem's y is checked against SimdRnn's on the same weights and inputs (within 1e-4 of
        the largest |y|; a stream problem over 3 calls); a failed check exits 1, bad arguments exit 2.
        """;

    private static int Main(string[] args)
    {
        if (BenchOptions.Parse(args, ["--models", "--table"], out string error) is not { } options) return Fail(error);
        ProblemTable table;
        try
        {
            table = options.Values.TryGetValue("--table", out string? path) ? ProblemTable.Parse(File.ReadAllText(path), path) : ProblemTable.Embedded;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return Fail(e.Message);
        }

        // ONNX's LSTM has no projection: those problems are not exported.
        var runnable = table.Rnn.Where(p => p.Mode != RnnMode.Train && p.Cell is (CellKind.Lstm or CellKind.Gru) && p.Projection == 0).ToList();
        if (options.Help)
        {
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, Usage, string.Join(' ', runnable.Select(p => p.Id))));
            return 0;
        }

        if (options.Select(runnable, p => p.Id, out string unknown) is not { } problems)
            return Fail($"'{unknown}' is not an infer or stream lstm/gru problem of the table without a projection (ONNX's LSTM has none)");
        if (!options.Values.TryGetValue("--models", out string? models)) return Fail("--models DIR is required");

        Console.Error.WriteLine($"{Tool}: onnxruntime {OrtEnv.Instance().GetVersionString()}, intra-op threads {options.Threads}, " +
            $"inter-op 1, sequential, intra-op spinning on (the default); SimdRnn path {Cpu.Path} for the check");
        Console.WriteLine(BenchCase.CsvHeader);
        foreach (RnnProblem problem in problems)
        {
            try
            {
                RnnOperandSet simdRnn = problem.CreateOperands(options.Threads);
                simdRnn.LoadWeights(MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(models, problem.Id + ".weights.f32"))));
                using var session = new OnnxRnnSession(problem, models, options.Threads, simdRnn);
                if (!AgreesWithSimdRnn(session, simdRnn)) return 1;
                session.Case.Report(Tool, problem.Id, options);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or OnnxRuntimeException)
            {
                Console.Error.WriteLine($"{Tool}: {problem.Id}: {e.Message}");
                return 1;
            }
        }

        return 0;
    }

    /// <summary>
    /// Runs both from the same state for one call (infer) or three (stream: the state carried twice) and compares the
    /// last call's y, which holds every step's hidden state and, through it, the cell state carried in.
    /// </summary>
    private static bool AgreesWithSimdRnn(OnnxRnnSession session, RnnOperandSet simdRnn)
    {
        int calls = session.Problem.Mode == RnnMode.Stream ? 3 : 1;
        for (int i = 0; i < calls; i++)
        {
            session.Run();
            if (session.Problem.Mode == RnnMode.Stream) simdRnn.StreamStep();
            else simdRnn.Infer();
        }

        ReadOnlySpan<float> expected = simdRnn.Output, actual = session.Output;
        double largest = 0, difference = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            largest = Math.Max(largest, Math.Abs(expected[i]));
            difference = Math.Max(difference, Math.Abs((double)actual[i] - expected[i])); // NaN fails below
        }

        bool agrees = difference <= Tolerance * largest && largest > 0;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Tool}: {session.Problem.Id}: check against SimdRnn over {calls} call(s): max |y_ort - y_simdrnn| = {difference:E2}, max |y| = {largest:F4}: {(agrees ? "ok" : "FAILED")}"));
        return agrees;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"{Tool}: {message} (try '{Tool} --help')");
        return 2;
    }
}
