using FsCheck.Xunit;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Activations;

/// <summary>Random lengths and values: every path equals the double-precision reference within the contract.</summary>
[Trait("Category", "Kernel")]
public class ActivationPropertyTests
{
    [Property(Arbitrary = [typeof(KernelArbitraries)], MaxTest = 60)]
    public void Unary_kernels_match_reference_within_contract_and_write_only_their_output(ActivationCase c)
    {
        foreach (ActivationKernels.Unary kernel in ActivationKernels.Unaries)
        {
            var y = new Guarded(c.X.Length);
            kernel.Run(c.X, y.Span, c.Path);
            y.AssertGuardsIntact();
            AssertWithin(kernel.Name, kernel.MaxUlp, c.X, y.ToArray(), kernel.Reference);

            // In place gives the same result.
            var inPlace = new Guarded(c.X);
            kernel.Run(inPlace.Span, inPlace.Span, c.Path);
            inPlace.AssertGuardsIntact();
            Assert.Equal(y.ToArray(), inPlace.ToArray());
        }
    }

    [Property(Arbitrary = [typeof(KernelArbitraries)], MaxTest = 60)]
    public void Backward_kernels_match_reference_within_contract_and_write_only_their_output(ActivationCase c)
    {
        foreach (ActivationKernels.Binary kernel in ActivationKernels.Binaries)
        {
            float[] y = c.X.Select(x => ActivationKernels.ForwardOutput(kernel.Name, x)).ToArray();
            var dx = new Guarded(y.Length);
            kernel.Run(y, c.Dy, dx.Span, c.Path);
            dx.AssertGuardsIntact();
            float[] result = dx.ToArray();
            for (int i = 0; i < y.Length; i++)
            {
                float expected = kernel.Reference(y[i], c.Dy[i]);
                long ulp = Ulp.Distance(result[i], expected);
                Assert.True(ulp <= kernel.MaxUlp,
                    $"{kernel.Name} on {c.Path}: y={y[i]:R} dy={c.Dy[i]:R} gave {result[i]:R}, reference {expected:R} ({ulp} ULP)");
            }

            // In place over dy gives the same result.
            var inPlace = new Guarded(c.Dy);
            kernel.Run(y, inPlace.Span, inPlace.Span, c.Path);
            inPlace.AssertGuardsIntact();
            Assert.Equal(result, inPlace.ToArray());
        }
    }

    internal static void AssertWithin(string name, Func<float, long> maxUlp, float[] x, float[] actual, Func<float, float> reference)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float expected = reference(x[i]);
            long ulp = Ulp.Distance(actual[i], expected);
            Assert.True(ulp <= maxUlp(x[i]), $"{name}({x[i]:R}) = {actual[i]:R}, reference {expected:R} ({ulp} ULP > {maxUlp(x[i])}) at index {i}");
        }
    }
}
