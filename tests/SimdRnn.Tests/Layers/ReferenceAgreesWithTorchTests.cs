using SimdRnn.Reference;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Layers;

/// <summary>
/// The double-precision reference equals PyTorch (float64 fixtures written by native-compare/torch_fixtures.py)
/// on every output, final state and gradient, for every cell kind, stacks and bidirectional layers, dense and packed.
/// </summary>
public class ReferenceAgreesWithTorchTests
{
    public static TheoryData<string> Cases() => new(TorchFixture.Cases);

    [Theory, MemberData(nameof(Cases))]
    public void Reference_matches_torch_outputs_and_every_gradient(string caseName)
    {
        TorchFixture f = TorchFixture.Load(caseName);
        ReferenceCellKind kind = f.Cell switch
        {
            "lstm" => ReferenceCellKind.Lstm,
            "gru" => ReferenceCellKind.Gru,
            "rnn_tanh" => ReferenceCellKind.RnnTanh,
            _ => ReferenceCellKind.RnnRelu,
        };
        var rnn = new ReferenceRnn(kind, f.I, f.H, f.Layers, f.Bidirectional, f.Bias, f.BatchFirst, f.Dropout, projectionSize: f.ProjectionSize);
        var parameters = new Dictionary<string, double[]>();
        for (int l = 0; l < f.Layers; l++)
            for (int d = 0; d < f.Directions; d++)
            {
                var (wih, whh, bih, bhh) = ReferenceRnn.Names(l, d);
                foreach (string name in f.Bias ? new[] { wih, whh, bih, bhh } : [wih, whh]) parameters[name] = f.Double(name);
                if (f.ProjectionSize > 0) parameters[ReferenceRnn.ProjectionName(l, d)] = f.Double(ReferenceRnn.ProjectionName(l, d));
            }

        bool lstm = kind == ReferenceCellKind.Lstm;
        double[]? c0 = lstm ? f.Double("c0") : null;
        ReferenceRnn.ForwardResult forward = rnn.Forward(f.T, f.N, f.Double("x"), f.Double("h0"), c0, parameters, f.DropoutSeed, f.Lengths);
        AssertClose(f.Double("y"), forward.Y, "y");
        AssertClose(f.Double("hT"), forward.HT, "hT");
        if (lstm) AssertClose(f.Double("cT"), forward.CT!, "cT");

        ReferenceRnn.Gradients gradients = rnn.Backward(f.T, f.N, f.Double("x"), f.Double("h0"), c0, parameters,
            f.Double("dy"), f.Double("dhT"), lstm ? f.Double("dcT") : null, f.DropoutSeed, f.Lengths);
        AssertClose(f.Double("grad.x"), gradients.Dx, "grad.x");
        AssertClose(f.Double("grad.h0"), gradients.Dh0, "grad.h0");
        if (lstm) AssertClose(f.Double("grad.c0"), gradients.Dc0!, "grad.c0");
        Assert.Equal(f.TensorNames.Where(n => n.StartsWith("grad.", StringComparison.Ordinal)).Count() - (lstm ? 3 : 2), gradients.Parameters.Count);
        foreach ((string name, double[] gradient) in gradients.Parameters)
            AssertClose(f.Double("grad." + name), gradient, "grad." + name);
    }

    private static void AssertClose(double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12 * (1 + Math.Abs(expected[i])),
                $"{what}[{i}]: reference {actual[i]:R}, torch {expected[i]:R}");
    }
}
