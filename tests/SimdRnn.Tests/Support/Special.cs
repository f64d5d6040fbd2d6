namespace SimdRnn.Tests.Support;

public static class Special
{
    /// <summary>Values that break naive kernels: zeros, infinities, NaN, denormals, the exp overflow edges.</summary>
    public static readonly float[] Values =
    [
        0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, -float.NaN,
        float.Epsilon, -float.Epsilon, 1e-40f, -1e-40f, 1.1754942e-38f, -1.1754942e-38f, 1.17549435e-38f,
        88f, -88f, 89f, -89f, 88.72284f, -88.72284f, 103.97f, -103.97f, 104f, -104f, 110f, -110f,
        9.01f, -9.01f, 9.1f, 16.7f, 17f, -17f, 1e-4f, -1e-4f, 1e-8f, 0.875f, -0.875f, 0.87499994f,
        float.MaxValue, float.MinValue, 1e30f, -1e30f, 0.5f, -0.5f, 1f, -1f,
    ];
}
