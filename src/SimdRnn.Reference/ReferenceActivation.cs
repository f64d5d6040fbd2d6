namespace SimdRnn.Reference;

/// <summary>
/// The activations straight from their definitions, evaluated in double precision and rounded to float once:
/// the oracle the vectorised kernels are measured against.
/// </summary>
public static class ReferenceActivation
{
    /// <summary>tanh(x) in double, rounded to float.</summary>
    public static float Tanh(float x) => (float)Math.Tanh(x);

    /// <summary>1 / (1 + e^-x) in double, rounded to float.</summary>
    public static float Sigmoid(float x) => (float)(1.0 / (1.0 + Math.Exp(-(double)x)));

    /// <summary>max(x, 0); NaN stays NaN, -0 becomes +0.</summary>
    public static float Relu(float x) => x > 0 ? x : x <= 0 ? 0f : x;

    /// <summary>dy * (1 - y^2) in double, rounded to float.</summary>
    public static float TanhBackward(float y, float dy) => (float)(dy * (1.0 - (double)y * y));

    /// <summary>dy * y * (1 - y) in double, rounded to float.</summary>
    public static float SigmoidBackward(float y, float dy) => (float)(dy * ((double)y * (1.0 - y)));

    /// <summary>dy where y &gt; 0, 0 where y &lt;= 0, NaN where y is NaN.</summary>
    public static float ReluBackward(float y, float dy) => y > 0 ? dy : y <= 0 ? 0f : y;

    /// <summary>Applies <paramref name="function"/> element-wise.</summary>
    public static void Map(Func<float, float> function, ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = function(x[i]);
    }

    /// <summary>Applies <paramref name="function"/> element-wise to (y, dy).</summary>
    public static void Map(Func<float, float, float> function, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < y.Length; i++) dx[i] = function(y[i], dy[i]);
    }
}
