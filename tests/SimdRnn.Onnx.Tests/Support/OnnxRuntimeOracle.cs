using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace SimdRnn.Onnx.Tests.Support;

/// <summary>Runs a whole ONNX model in ONNX Runtime (CPU, one thread): the oracle of the x64 legs.</summary>
internal static class OnnxRuntimeOracle
{
    /// <summary>Each named graph input bound to its values and shape (and int32 inputs, e.g. sequence_lens); returns the
    /// named outputs' values.</summary>
    public static float[][] Run(byte[] model, IReadOnlyList<(string Name, float[] Values, long[] Shape)> inputs, IReadOnlyList<string> outputs,
        IReadOnlyList<(string Name, int[] Values, long[] Shape)>? intInputs = null)
    {
        // The oracle of the x64 legs (.ci/run); elsewhere the PyTorch fixtures' stored outputs still check the import.
        Assert.SkipUnless(RuntimeInformation.ProcessArchitecture == Architecture.X64, "ONNX Runtime is the oracle on x64 only");
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        using var runOptions = new RunOptions();
        intInputs ??= [];
        var values = inputs.Select(i => OrtValue.CreateTensorValueFromMemory(i.Values, i.Shape))
            .Concat(intInputs.Select(i => OrtValue.CreateTensorValueFromMemory(i.Values, i.Shape))).ToList();
        string[] names = [.. inputs.Select(i => i.Name), .. intInputs.Select(i => i.Name)];
        try
        {
            using IDisposableReadOnlyCollection<OrtValue> results = session.Run(runOptions, names, values, outputs.ToArray());
            return results.Select(r => r.GetTensorDataAsSpan<float>().ToArray()).ToArray();
        }
        finally
        {
            values.ForEach(v => v.Dispose());
        }
    }
}
