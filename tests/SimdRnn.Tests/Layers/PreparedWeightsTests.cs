using FsCheck.Xunit;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Layers;

/// <summary>
/// Prepared weights give bitwise the results of the parameters they were prepared from (forward in both modes,
/// backward, and a forward and backward that differ in whether they were prepared), on every in-process path, in
/// exact NaN-filled workspaces; a refresh follows changed parameters and allocates nothing.
/// </summary>
[Trait("Category", "Kernel")]
public class PreparedWeightsTests
{
    [Property(Arbitrary = [typeof(StackArbitraries)], MaxTest = 30)]
    public void Prepared_weights_give_bitwise_the_results_of_the_parameters(StackCase c)
    {
        var stack = new RecurrentStack(c.Cell, c.I, c.H, c.Layers, c.Bidirectional, c.Options) { Path = c.Path, MaxDegreeOfParallelism = 1 + c.Seed % 2 };
        var run = new StackRun(stack, c.T, c.N, c.Seed);
        PreparedWeights prepared = stack.Prepare(run.Parameters, training: true);

        foreach (bool training in new[] { false, true })
            Assert.Equal(run.Forward(null, training), run.Forward(prepared, training));
        // Backward after a forward of the other kind: the saved state does not depend on how the weights came.
        Assert.Equal(run.ForwardBackward(null, null), run.ForwardBackward(prepared, null));
        Assert.Equal(run.ForwardBackward(null, null), run.ForwardBackward(null, prepared));
        Assert.Equal(run.ForwardBackward(null, null), run.ForwardBackward(prepared, prepared));
    }

    /// <summary>
    /// bfloat16 weights compute exactly the float32 stack with W_ih and W_hh rounded to bfloat16 (the widening is exact
    /// and the chains are the same), biases untouched; so their accuracy is that of float32 on the rounded model.
    /// </summary>
    [Property(Arbitrary = [typeof(StackArbitraries)], MaxTest = 30)]
    public void BFloat16_weights_give_bitwise_the_float32_results_of_rounded_weights(StackCase c)
    {
        var stack = new RecurrentStack(c.Cell, c.I, c.H, c.Layers, c.Bidirectional, c.Options) { Path = c.Path, MaxDegreeOfParallelism = 1 + c.Seed % 2 };
        var run = new StackRun(stack, c.T, c.N, c.Seed);
        PreparedWeights bf16 = stack.Prepare(run.Parameters, format: WeightFormat.BFloat16);
        Assert.Equal(WeightFormat.BFloat16, bf16.Format);
        var rounded = new StackRun(stack, c.T, c.N, c.Seed);
        RoundWeightsToBFloat16(rounded.Parameters);
        // The rounding matters (else the equalities below prove nothing), unless a dead ReLU zeroes every output.
        int[] unrounded = run.Forward(null, training: false);
        Assert.NotEqual(run.Parameters.All, rounded.Parameters.All);
        if (unrounded.Any(bits => bits != 0)) Assert.NotEqual(unrounded, rounded.Forward(null, training: false));

        Assert.Equal(rounded.Forward(null, training: false), run.Forward(bf16, training: false));
        Assert.Equal(rounded.Forward(rounded.Prepare(), training: false), run.Forward(bf16, training: false));
    }

    [Fact]
    public void BFloat16_weights_are_refused_for_training()
    {
        var stack = new RecurrentStack(CellKind.Lstm, 3, 4);
        RecurrentParameters parameters = stack.CreateParameters();
        var forTraining = Assert.Throws<ArgumentException>(() => stack.Prepare(parameters, training: true, WeightFormat.BFloat16));
        Assert.Equal("format", forTraining.ParamName);
        Assert.Contains("BFloat16 weights are for inference; training needs Float32", forTraining.Message);
        var undefined = Assert.Throws<ArgumentOutOfRangeException>(() => stack.Prepare(parameters, format: (WeightFormat)2));
        Assert.Equal("format", undefined.ParamName);
        Assert.Contains("defined WeightFormat", undefined.Message);
        PreparedWeights bf16 = stack.Prepare(parameters, format: WeightFormat.BFloat16);
        float[] x = new float[3], state = new float[4], y = new float[4], workspace = new float[stack.WorkspaceLength(1, 1)];
        var error = Assert.Throws<ArgumentException>(() => stack.Forward(1, 1, x, state, state, bf16, y, new float[4], new float[4], workspace, training: true));
        Assert.Equal("weights", error.ParamName);
        Assert.Contains("BFloat16", error.Message);
    }

    /// <summary>Weights packed on one path are refused by a stack on another, the message naming both paths.</summary>
    [Fact]
    public void Weights_packed_on_another_path_are_refused_naming_both()
    {
        Assert.SkipWhen(TestPaths.InProcess.Count < 2, "this process runs one path only (the other legs run this test)");
        SimdPath packedOn = TestPaths.InProcess[^1], runsOn = TestPaths.InProcess[0];
        var packer = new RecurrentStack(CellKind.Lstm, 3, 4) { Path = packedOn };
        PreparedWeights weights = packer.Prepare(packer.CreateParameters());
        var stack = new RecurrentStack(CellKind.Lstm, 3, 4) { Path = runsOn };
        var workspace = new float[stack.WorkspaceLength(1, 1, training: false, preparedWeights: true)];
        var error = Assert.Throws<ArgumentException>(() =>
            stack.Forward(1, 1, new float[3], new float[4], new float[4], weights, new float[4], new float[4], new float[4], workspace, training: false));
        Assert.Equal("weights", error.ParamName);
        Assert.Contains($"weights were packed for the {packedOn} path, but the stack runs {runsOn}.", error.Message);
    }

    internal static void RoundWeightsToBFloat16(RecurrentParameters parameters)
    {
        foreach (string name in parameters.Names.Where(name => name.StartsWith("weight_", StringComparison.Ordinal)))
            foreach (ref float value in parameters[name].Span) value = SimdRnn.Sgemm.BFloat16Panel.Widen(SimdRnn.Sgemm.BFloat16Panel.Round(value));
    }

    [Theory, MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    public void Refresh_follows_changed_parameters_without_allocating(SimdPath path)
    {
        var stack = new RecurrentStack(CellKind.Gru, 7, 19, layers: 2, bidirectional: true) { Path = path, MaxDegreeOfParallelism = 1 };
        var run = new StackRun(stack, steps: 4, batch: 3, seed: 5);
        PreparedWeights prepared = stack.Prepare(run.Parameters, training: true);
        int[] before = run.Forward(prepared, training: false);

        run.Parameters.All.AsSpan().Reverse();
        int[] changed = run.Forward(null, training: false);
        Assert.NotEqual(before, changed);
        Allocations.AssertNothingOnceWarm(prepared.Refresh, "PreparedWeights.Refresh", warmUp: false);
        Assert.Equal(changed, run.Forward(prepared, training: false));
        Assert.Equal(run.ForwardBackward(null, null), run.ForwardBackward(prepared, prepared));
    }

    /// <summary>One stack with reproducible inputs; each call returns the bits of every output it wrote.</summary>
    private sealed class StackRun
    {
        private readonly RecurrentStack _stack;
        private readonly int _steps, _batch, _states;
        private readonly float[] _x, _h0, _c0, _dy, _dhT, _dcT;

        public StackRun(RecurrentStack stack, int steps, int batch, int seed)
        {
            (_stack, _steps, _batch) = (stack, steps, batch);
            var random = new Random(seed);
            float[] Random(int count) => Enumerable.Range(0, count).Select(_ => random.NextSingle() - 0.5f).ToArray();
            Parameters = stack.CreateParameters();
            Random(Parameters.All.Length).CopyTo(Parameters.All, 0);
            _states = stack.Layers * stack.Directions * batch * stack.StateSize;
            int cells = stack.Layers * stack.Directions * batch * stack.HiddenSize;
            bool lstm = stack.Cell == CellKind.Lstm;
            _x = Random(steps * batch * stack.InputSize);
            _h0 = Random(_states);
            _c0 = lstm ? Random(cells) : [];
            _dy = Random(steps * batch * stack.Directions * stack.StateSize);
            _dhT = Random(_states);
            _dcT = lstm ? Random(cells) : [];
        }

        public RecurrentParameters Parameters { get; }

        public PreparedWeights Prepare() => _stack.Prepare(Parameters);

        private int Outputs => _dy.Length;

        public int[] Forward(PreparedWeights? prepared, bool training) =>
            Bits(RunForward(prepared, training, new Guarded((int)_stack.WorkspaceLength(_steps, _batch, training, prepared is not null))));

        public int[] ForwardBackward(PreparedWeights? forward, PreparedWeights? backward)
        {
            // The workspace fits both calls: a prepared call needs no pack scratch, an unprepared one does.
            var workspace = new Guarded((int)_stack.WorkspaceLength(_steps, _batch, training: true, preparedWeights: forward is not null && backward is not null));
            float[][] outputs = RunForward(forward, true, workspace);
            float[] dx = new float[_x.Length], dh0 = new float[_states], dc0 = new float[_c0.Length];
            RecurrentParameters gradients = _stack.CreateParameters();
            if (backward is null)
                _stack.Backward(_steps, _batch, _x, _h0, Parameters, outputs[0], _dy, _dhT, _dcT, dx, dh0, dc0, gradients, workspace.Span);
            else
                _stack.Backward(_steps, _batch, _x, _h0, backward, outputs[0], _dy, _dhT, _dcT, dx, dh0, dc0, gradients, workspace.Span);
            workspace.AssertGuardsIntact();
            return Bits([.. outputs, dx, dh0, dc0, gradients.All]);
        }

        private float[][] RunForward(PreparedWeights? prepared, bool training, Guarded workspace)
        {
            float[] y = new float[Outputs], hT = new float[_states], cT = new float[_c0.Length];
            if (prepared is null) _stack.Forward(_steps, _batch, _x, _h0, _c0, Parameters, y, hT, cT, workspace.Span, training);
            else _stack.Forward(_steps, _batch, _x, _h0, _c0, prepared, y, hT, cT, workspace.Span, training);
            workspace.AssertGuardsIntact();
            return [y, hT, cT];
        }

        private static int[] Bits(params float[][] arrays) => arrays.SelectMany(a => a).Select(BitConverter.SingleToInt32Bits).ToArray();
    }
}
