using Microsoft.ML.OnnxRuntime;
using SimdRnn.Cli;

namespace SimdRnn.OnnxRuntimeRnn;

/// <summary>
/// One problem's ONNX model (export_onnx.py) in an ONNX Runtime session, its inputs and outputs bound once to managed
/// arrays through <see cref="OrtIoBinding"/>, so that a timed call is <see cref="InferenceSession.RunWithBinding"/> alone.
/// </summary>
internal sealed class OnnxRnnSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly float[] _y;
    // Infer: one binding, h[0] (c[0]) -> h[1] (c[1]), so every call starts from the same state. Stream: a second one
    // from h[1] back to h[0], taken in turn, so each call starts where the previous one ended, without a copy.
    private readonly OrtIoBinding[] _bindings;
    private readonly List<IDisposable> _owned = [];
    private long _calls;

    /// <summary>Loads ID.onnx from <paramref name="modelDirectory"/>; x, h0, c0 are copies of <paramref name="inputs"/>' (the SimdRnn side's).</summary>
    public OnnxRnnSession(RnnProblem problem, string modelDirectory, int threads, RnnOperandSet inputs)
    {
        Problem = problem;
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(Path.Combine(modelDirectory, problem.Id + ".onnx"), options);
        _owned.Add(_session);
        _owned.Add(_runOptions);

        long[] inputShape = [problem.Steps, problem.Batch, problem.Input], stateShape = [1, problem.Batch, problem.StateSize],
            cellStateShape = [1, problem.Batch, problem.Hidden];
        bool lstm = problem.Cell == CellKind.Lstm;
        float[] x = inputs.Input.ToArray();
        _y = new float[inputs.Output.Length];
        float[][] h = [inputs.Hidden.ToArray(), new float[inputs.Hidden.Length]];
        float[][] c = [inputs.CellState.ToArray(), new float[inputs.CellState.Length]];
        _bindings = new OrtIoBinding[problem.Mode == RnnMode.Stream ? 2 : 1];
        for (int from = 0; from < _bindings.Length; from++)
        {
            OrtIoBinding binding = _bindings[from] = _session.CreateIoBinding();
            _owned.Add(binding);
            binding.BindInput("x", Tensor(x, inputShape));
            binding.BindInput("h0", Tensor(h[from], stateShape));
            binding.BindOutput("y", Tensor(_y, [problem.Steps, problem.Batch, problem.StateSize]));
            binding.BindOutput("hT", Tensor(h[1 - from], stateShape));
            if (!lstm) continue;
            binding.BindInput("c0", Tensor(c[from], cellStateShape));
            binding.BindOutput("cT", Tensor(c[1 - from], cellStateShape));
        }
    }

    public RnnProblem Problem { get; }

    /// <summary>y of the last call.</summary>
    public ReadOnlySpan<float> Output => _y;

    /// <summary>The timed call, harness <c>onnxruntime</c>.</summary>
    public BenchCase Case => new("onnxruntime", Problem.ForwardFlops, Run);

    /// <summary>One call: infer from the initial state; stream one step on from where the previous call ended.</summary>
    public void Run() => _session.RunWithBinding(_runOptions, _bindings[_calls++ % _bindings.Length]);

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
    }

    private OrtValue Tensor(float[] values, long[] shape)
    {
        OrtValue value = OrtValue.CreateTensorValueFromMemory(values, shape);
        _owned.Add(value);
        return value;
    }
}
