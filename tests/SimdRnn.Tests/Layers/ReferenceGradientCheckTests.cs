using SimdRnn.Reference;

namespace SimdRnn.Tests.Layers;

/// <summary>
/// The reference's analytic BPTT gradients equal central finite differences in double precision, for every cell
/// kind, stacks and bidirectional layers, dense and with variable lengths (row 1 one step long, so that the reverse
/// direction starts it at its own last step), and the LSTM with a projection (P = 2 of H = 3): the reference is then a
/// trustworthy oracle for the fast layers. The GRU
/// that resets before the recurrent product (linear_before_reset = 0) has no PyTorch form: this check is its oracle.
/// </summary>
public class ReferenceGradientCheckTests
{
    public static TheoryData<ReferenceCellKind, int, bool, bool, bool, bool, double, bool, int> Configurations()
    {
        var data = new TheoryData<ReferenceCellKind, int, bool, bool, bool, bool, double, bool, int>();
        foreach (ReferenceCellKind cell in Enum.GetValues<ReferenceCellKind>())
            foreach ((bool linearBeforeReset, int projection) in cell switch
                     {
                         ReferenceCellKind.Gru => new[] { (true, 0), (false, 0) },
                         ReferenceCellKind.Lstm => [(true, 0), (true, 2)],
                         _ => [(true, 0)],
                     })
                foreach (bool variableLengths in new[] { false, true })
                {
                    data.Add(cell, 1, false, true, false, variableLengths, 0, linearBeforeReset, projection);
                    data.Add(cell, 2, false, true, false, variableLengths, 0, linearBeforeReset, projection);
                    data.Add(cell, 1, true, true, false, variableLengths, 0, linearBeforeReset, projection);
                    data.Add(cell, 2, true, true, false, variableLengths, 0, linearBeforeReset, projection);
                    data.Add(cell, 2, true, false, false, variableLengths, 0, linearBeforeReset, projection);
                    data.Add(cell, 2, true, true, true, variableLengths, 0, linearBeforeReset, projection);
                    data.Add(cell, 3, true, true, false, variableLengths, 0.4, linearBeforeReset, projection);
                    data.Add(cell, 2, false, false, true, variableLengths, 0.5, linearBeforeReset, projection);
                }

        return data;
    }

    /// <summary>With dropout the mask is fixed by the seed, so the loss is a smooth function of every input as without.</summary>
    [Theory, MemberData(nameof(Configurations))]
    public void Analytic_gradients_equal_central_differences(ReferenceCellKind cell, int layers, bool bidirectional, bool bias, bool batchFirst,
        bool variableLengths, double dropout, bool linearBeforeReset, int projection)
    {
        int[]? lengths = variableLengths ? [3, 1] : null;
        const int steps = 3, batch = 2, input = 3;
        const ulong seed = 0xDEADBEEF12345678UL;
        int hidden = projection > 0 ? 3 : 2, width = projection > 0 ? projection : hidden;
        var random = new Random(1234 + (int)cell * 10 + layers + (bidirectional ? 5 : 0) + (bias ? 0 : 100) + (batchFirst ? 200 : 0) + projection * 1000);
        var rnn = new ReferenceRnn(cell, input, hidden, layers, bidirectional, bias, batchFirst, dropout, linearBeforeReset, projection);
        Dictionary<string, double[]> parameters = rnn.RandomParameters(random, 0.8);
        int states = layers * rnn.Directions * batch * width, cells = layers * rnn.Directions * batch * hidden;
        double[] x = ReferenceRnn.RandomFloats(random, steps * batch * input, 1);
        double[] h0 = ReferenceRnn.RandomFloats(random, states, 1);
        double[]? c0 = cell == ReferenceCellKind.Lstm ? ReferenceRnn.RandomFloats(random, cells, 1) : null;
        double[] dy = ReferenceRnn.RandomFloats(random, steps * batch * rnn.Directions * width, 1);
        double[] dhT = ReferenceRnn.RandomFloats(random, states, 1);
        double[]? dcT = c0 != null ? ReferenceRnn.RandomFloats(random, cells, 1) : null;

        double Loss()
        {
            ReferenceRnn.ForwardResult r = rnn.Forward(steps, batch, x, h0, c0, parameters, seed, lengths);
            double loss = Dot(r.Y, dy) + Dot(r.HT, dhT);
            return r.CT != null ? loss + Dot(r.CT, dcT!) : loss;
        }

        ReferenceRnn.Gradients analytic = rnn.Backward(steps, batch, x, h0, c0, parameters, dy, dhT, dcT, seed, lengths);
        var checkedArrays = new List<(string Name, double[] Values, double[] Gradient)> { ("x", x, analytic.Dx), ("h0", h0, analytic.Dh0) };
        if (c0 != null) checkedArrays.Add(("c0", c0, analytic.Dc0!));
        foreach ((string name, double[] values) in parameters) checkedArrays.Add((name, values, analytic.Parameters[name]));

        foreach ((string name, double[] values, double[] gradient) in checkedArrays)
            for (int i = 0; i < values.Length; i++)
            {
                const double step = 1e-6;
                double saved = values[i];
                values[i] = saved + step;
                double up = Loss();
                values[i] = saved - step;
                double down = Loss();
                values[i] = saved;
                double numeric = (up - down) / (2 * step);
                Assert.True(Math.Abs(numeric - gradient[i]) <= 1e-6 * (1 + Math.Abs(numeric)),
                    $"{cell} layers={layers} bidirectional={bidirectional} bias={bias} batchFirst={batchFirst} lengths={variableLengths} " +
                    $"dropout={dropout} linearBeforeReset={linearBeforeReset} projection={projection}: d/d{name}[{i}] analytic {gradient[i]:R}, numeric {numeric:R}");
            }
    }

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }
}
