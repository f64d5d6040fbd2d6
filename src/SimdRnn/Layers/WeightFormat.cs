namespace SimdRnn;

/// <summary>How <see cref="PreparedWeights"/> store the weight matrices.</summary>
public enum WeightFormat
{
    /// <summary>float32, as the parameters: results bitwise the same as computing from the parameters.</summary>
    Float32 = 0,

    /// <summary>
    /// bfloat16 (float32's upper 16 bits), rounded to nearest (ties to even) once when prepared: half the bytes to read
    /// per step, which is what bounds small-batch inference. The kernels widen each weight exactly and accumulate in
    /// float32, so a result is the float32 computation with every weight of W_ih and W_hh rounded to bfloat16 (relative
    /// error of a weight at most 2^-9); biases stay float32. Inference only.
    /// </summary>
    BFloat16 = 1,
}
