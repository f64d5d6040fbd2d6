using SimdRnn.Tests.Support;

namespace SimdRnn.Tests;

/// <summary>
/// The PyTorch fixtures (native-compare/torch_fixtures.py) are complete, consistent and mean what we
/// think: every case has the tensors and shapes of its cell kind, its inputs are float32-representable,
/// and the LSTM cases' forward outputs equal a plain double-precision recomputation from their inputs.
/// </summary>
[Trait("Category", "Kernel")]
public sealed class TorchFixtureTests
{
    private const double ForwardTolerance = 1e-12;

    public static TheoryData<string> AllCases => new(TorchFixture.Cases);

    public static TheoryData<string> LstmCases =>
        new(TorchFixture.Cases.Where(c => TorchFixture.Load(c) is { Cell: "lstm", HasOptions: false }));

    public static TheoryData<string> PackedCases => new(TorchFixture.Cases.Where(c => TorchFixture.Load(c).Lengths is not null));

    /// <summary>Packed cases: unsorted lengths in [1, T], one of them T; y and grad.x are exactly 0 at the padded positions.</summary>
    [Theory, MemberData(nameof(PackedCases))]
    public void Packed_case_has_unsorted_lengths_and_zeros_at_the_padding(string caseName)
    {
        var fx = TorchFixture.Load(caseName);
        int[] lengths = fx.Lengths!;
        Assert.Equal(fx.N, lengths.Length);
        Assert.All(lengths, n => Assert.InRange(n, 1, fx.T));
        Assert.Contains(fx.T, lengths);
        Assert.False(lengths.SequenceEqual(lengths.OrderDescending()), "lengths are sorted: enforce_sorted=False is not exercised");
        foreach ((string name, int width) in new[] { ("y", fx.Directions * fx.S), ("grad.x", fx.I) })
        {
            double[] values = fx.Double(name);
            for (int i = 0; i < values.Length; i++)
            {
                int row = i / width;
                (int t, int n) = fx.BatchFirst ? (row % fx.T, row / fx.T) : (row / fx.N, row % fx.N);
                if (t >= lengths[n]) Assert.Equal(0.0, values[i]);
            }
        }
    }

    [Fact]
    public void Every_cell_kind_has_a_case()
    {
        var cells = TorchFixture.Cases.Select(c => TorchFixture.Load(c).Cell).ToHashSet();
        Assert.Equal(new HashSet<string> { "lstm", "gru", "rnn_tanh", "rnn_relu" }, cells);
    }

    [Theory, MemberData(nameof(AllCases))]
    public void Case_has_every_tensor_with_its_shape(string caseName)
    {
        var fx = TorchFixture.Load(caseName);
        Assert.True(fx.T >= 1 && fx.N >= 1 && fx.I >= 1 && fx.H >= 1 && fx.Layers >= 1);
        Assert.False(string.IsNullOrWhiteSpace(fx.TorchVersion));
        int d = fx.Directions, g = fx.Gates, h = fx.H, s = fx.S;
        bool lstm = fx.Cell == "lstm";
        Assert.True(fx.ProjectionSize == 0 || (lstm && fx.ProjectionSize < h), "a projection is for an LSTM, P < H");

        int[] state = [fx.Layers * d, fx.N, s], cellState = [fx.Layers * d, fx.N, h];
        var expected = new Dictionary<string, int[]>
        {
            ["x"] = fx.SequenceShape(fx.I),
            ["y"] = fx.SequenceShape(d * s),
            ["dy"] = fx.SequenceShape(d * s),
            ["h0"] = state,
            ["hT"] = state,
            ["dhT"] = state,
            ["grad.x"] = fx.SequenceShape(fx.I),
            ["grad.h0"] = state,
        };
        if (lstm)
        {
            foreach (string name in new[] { "c0", "cT", "dcT", "grad.c0" })
                expected[name] = cellState;
        }
        var parameters = new List<string>();
        for (int layer = 0; layer < fx.Layers; layer++)
        {
            for (int dir = 0; dir < d; dir++)
            {
                string suffix = $"_l{layer}" + (dir == 1 ? "_reverse" : "");
                int inputs = layer == 0 ? fx.I : d * s;
                expected["weight_ih" + suffix] = [g * h, inputs];
                expected["weight_hh" + suffix] = [g * h, s];
                parameters.AddRange(["weight_ih" + suffix, "weight_hh" + suffix]);
                if (fx.ProjectionSize > 0)
                {
                    expected["weight_hr" + suffix] = [fx.ProjectionSize, h];
                    parameters.Add("weight_hr" + suffix);
                }
                if (!fx.Bias) continue;
                expected["bias_ih" + suffix] = [g * h];
                expected["bias_hh" + suffix] = [g * h];
                parameters.AddRange(["bias_ih" + suffix, "bias_hh" + suffix]);
            }
        }
        foreach (string p in parameters)
            expected["grad." + p] = expected[p];

        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), fx.TensorNames.Order(StringComparer.Ordinal));
        foreach (var (name, shape) in expected)
        {
            Assert.True(shape.SequenceEqual(fx.Shape(name)),
                $"{caseName}/{name}: shape [{string.Join(",", fx.Shape(name))}], expected [{string.Join(",", shape)}]");
            Assert.All(fx.Double(name), v => Assert.True(double.IsFinite(v), $"{caseName}/{name} has {v}"));
        }

        // Every input is exactly float32-representable (Float throws otherwise).
        string[] inputNames = lstm ? ["x", "h0", "c0", "dy", "dhT", "dcT"] : ["x", "h0", "dy", "dhT"];
        foreach (string name in inputNames.Concat(parameters))
            Assert.Equal(fx.Double(name), fx.Float(name).Select(f => (double)f));
    }

    [Theory, MemberData(nameof(AllCases))]
    public void Float_refuses_outputs_and_missing_names(string caseName)
    {
        var fx = TorchFixture.Load(caseName);
        Assert.Throws<InvalidDataException>(() => fx.Float("grad.x"));
        var missing = Assert.Throws<KeyNotFoundException>(() => fx.Float("no_such_tensor"));
        Assert.Contains("no_such_tensor", missing.Message);
    }

    [Fact]
    public void Missing_case_is_a_clear_error()
    {
        var e = Assert.Throws<FileNotFoundException>(() => TorchFixture.Load("no_such_case"));
        Assert.Contains("no_such_case", e.Message);
    }

    /// <summary>
    /// Straight double-precision loops over PyTorch's LSTM maths (gate rows i, f, g, o;
    /// c = f*c + i*g; h = o*tanh(c)), layer by layer and direction by direction, with y concatenating
    /// the directions and the state axis ordered layer-major — compared to the fixture's y, hT, cT.
    /// </summary>
    [Theory, MemberData(nameof(LstmCases))]
    public void Lstm_forward_matches_a_double_recomputation(string caseName)
    {
        var fx = TorchFixture.Load(caseName);
        int T = fx.T, N = fx.N, H = fx.H, D = fx.Directions;
        double[] h0 = fx.Double("h0"), c0 = fx.Double("c0");
        var hT = new double[fx.Layers * D * N * H];
        var cT = new double[hT.Length];

        double[] input = fx.Double("x");
        int inputWidth = fx.I;
        for (int layer = 0; layer < fx.Layers; layer++)
        {
            var output = new double[T * N * D * H];
            for (int dir = 0; dir < D; dir++)
            {
                string suffix = $"_l{layer}" + (dir == 1 ? "_reverse" : "");
                double[] wih = fx.Double("weight_ih" + suffix), whh = fx.Double("weight_hh" + suffix);
                double[] bih = fx.Double("bias_ih" + suffix), bhh = fx.Double("bias_hh" + suffix);
                int state = (layer * D + dir) * N * H;
                double[] h = h0.AsSpan(state, N * H).ToArray(), c = c0.AsSpan(state, N * H).ToArray();
                var gates = new double[4 * H];

                for (int step = 0; step < T; step++)
                {
                    int t = dir == 0 ? step : T - 1 - step;
                    var hNew = new double[N * H];
                    for (int n = 0; n < N; n++)
                    {
                        for (int row = 0; row < 4 * H; row++)
                        {
                            double s = bih[row] + bhh[row];
                            for (int k = 0; k < inputWidth; k++)
                                s += wih[row * inputWidth + k] * input[(t * N + n) * inputWidth + k];
                            for (int k = 0; k < H; k++)
                                s += whh[row * H + k] * h[n * H + k];
                            gates[row] = s;
                        }
                        for (int j = 0; j < H; j++)
                        {
                            double i = Sigmoid(gates[j]);
                            double f = Sigmoid(gates[H + j]);
                            double g = Math.Tanh(gates[2 * H + j]);
                            double o = Sigmoid(gates[3 * H + j]);
                            c[n * H + j] = f * c[n * H + j] + i * g;
                            hNew[n * H + j] = o * Math.Tanh(c[n * H + j]);
                            output[(t * N + n) * D * H + dir * H + j] = hNew[n * H + j];
                        }
                    }
                    h = hNew;
                }
                h.CopyTo(hT, state);
                c.CopyTo(cT, state);
            }
            input = output;
            inputWidth = D * H;
        }

        AssertClose(caseName, "y", fx.Double("y"), input);
        AssertClose(caseName, "hT", fx.Double("hT"), hT);
        AssertClose(caseName, "cT", fx.Double("cT"), cT);
    }

    private static double Sigmoid(double v) => 1.0 / (1.0 + Math.Exp(-v));

    private static void AssertClose(string caseName, string name, double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int k = 0; k < expected.Length; k++)
        {
            double err = Math.Abs(expected[k] - actual[k]);
            Assert.True(err <= ForwardTolerance,
                $"{caseName}/{name}[{k}]: torch {expected[k]:R}, recomputed {actual[k]:R}, |diff| {err:R} > {ForwardTolerance}");
        }
    }
}
