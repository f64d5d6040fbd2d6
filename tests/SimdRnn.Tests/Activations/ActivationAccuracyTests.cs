using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Activations;

/// <summary>The accuracy contract over a dense sweep and at the special values, on every path in this process.</summary>
[Trait("Category", "Kernel")]
public class ActivationAccuracyTests(ITestOutputHelper output)
{
    /// <summary>[-20, 20] in steps of 2^-12, plus a logarithmic sweep of tiny magnitudes down to the denormals.</summary>
    private static float[] Sweep()
    {
        var values = new List<float>();
        for (int i = -20 * 4096; i <= 20 * 4096; i++) values.Add(i / 4096f);
        for (double m = 1e-45; m < 1; m *= 1.0137)
        {
            values.Add((float)m);
            values.Add(-(float)m);
        }

        values.AddRange(Special.Values);
        return values.ToArray();
    }

    private static readonly float[] SweepValues = Sweep();

    public static TheoryData<SimdPath, string> PathsAndKernels()
    {
        var data = new TheoryData<SimdPath, string>();
        foreach (SimdPath path in TestPaths.InProcess)
            foreach (ActivationKernels.Unary kernel in ActivationKernels.Unaries)
                data.Add(path, kernel.Name);
        return data;
    }

    [Theory, MemberData(nameof(PathsAndKernels))]
    public void Dense_sweep_is_within_the_ulp_contract(SimdPath path, string kernelName)
    {
        ActivationKernels.Unary kernel = ActivationKernels.Unaries.Single(k => k.Name == kernelName);
        var y = new float[SweepValues.Length];
        kernel.Run(SweepValues, y, path);
        long worst = 0;
        float worstX = 0;
        for (int i = 0; i < y.Length; i++)
        {
            long ulp = Ulp.Distance(y[i], kernel.Reference(SweepValues[i]));
            if (ulp > worst) (worst, worstX) = (ulp, SweepValues[i]);
            Assert.True(ulp <= kernel.MaxUlp(SweepValues[i]), $"{kernelName} on {path}: {ulp} ULP at x = {SweepValues[i]:R}");
        }

        output.WriteLine($"{kernelName} on {path}: max {worst} ULP (at x = {worstX:R}) over {y.Length} points");
    }

    [Theory, MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    public void Special_values_saturate_exactly_and_keep_nan_and_signed_zero(SimdPath path)
    {
        float[] x = [float.PositiveInfinity, float.NegativeInfinity, float.NaN, 0f, -0f, 9.02f, -9.02f, 20f, -20f, 89f, -89f, 1e-40f, -1e-40f];
        var tanh = new float[x.Length];
        var sigmoid = new float[x.Length];
        var relu = new float[x.Length];
        ActivationKernels.Tanh.Run(x, tanh, path);
        ActivationKernels.Sigmoid.Run(x, sigmoid, path);
        ActivationKernels.Relu.Run(x, relu, path);

        Assert.Equal([1f, -1f], tanh[..2]);
        Assert.True(float.IsNaN(tanh[2]) && float.IsNaN(sigmoid[2]) && float.IsNaN(relu[2]));
        Assert.True(tanh[3] == 0 && !float.IsNegative(tanh[3]));
        Assert.True(tanh[4] == 0 && float.IsNegative(tanh[4]), "tanh(-0) must be -0");
        Assert.Equal([1f, -1f, 1f, -1f, 1f, -1f], tanh[5..11]);
        Assert.Equal([1e-40f, -1e-40f], tanh[11..]);

        Assert.Equal([1f, 0f], sigmoid[..2]);
        Assert.Equal([0.5f, 0.5f], sigmoid[3..5]);
        Assert.Equal(1f, sigmoid[7]);
        Assert.Equal(1f, sigmoid[9]);
        Assert.Equal(BitConverter.SingleToInt32Bits((float)(1 / (1 + Math.Exp(89)))), BitConverter.SingleToInt32Bits(sigmoid[10]));

        Assert.Equal([float.PositiveInfinity, 0f], relu[..2]);
        Assert.True(relu[4] == 0 && !float.IsNegative(relu[4]), "relu(-0) is +0");
    }

    [Theory, MemberData(nameof(TestPaths.All), MemberType = typeof(TestPaths))]
    public void Backward_forms_propagate_nan(SimdPath path)
    {
        float[] y = [0.5f, float.NaN, 0.5f, -1f];
        float[] dy = [float.NaN, 1f, 1f, float.NaN];
        foreach (ActivationKernels.Binary kernel in ActivationKernels.Binaries)
        {
            var dx = new float[y.Length];
            kernel.Run(y, dy, dx, path);
            Assert.True(float.IsNaN(dx[0]) && float.IsNaN(dx[1]), $"{kernel.Name} hid a NaN");
            Assert.False(float.IsNaN(dx[2]));
        }
    }
}
