namespace SimdRnn.Onnx.Tests.Support;

internal static class Close
{
    /// <summary>
    /// Every element within 1e-5 relative to the tensor's scale (its largest magnitude, at least 1e-3): outputs of
    /// tanh / sigmoid cells near zero are compared at the tensor's precision, not at their own tiny magnitude.
    /// </summary>
    public static void Within1e5(string what, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        float scale = 1e-3f;
        foreach (float e in expected)
            scale = Math.Max(scale, Math.Abs(e));
        for (int k = 0; k < expected.Length; k++)
        {
            double error = Math.Abs((double)expected[k] - actual[k]);
            Assert.True(error <= 1e-5 * scale, $"{what}[{k}]: expected {expected[k]:R}, got {actual[k]:R} (error {error:E2}, bound {1e-5 * scale:E2})");
        }
    }
}
