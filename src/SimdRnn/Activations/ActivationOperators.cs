using SimdRnn.Vectors;

namespace SimdRnn.Activations;

/// <summary>y = f(x), one vector at a time.</summary>
internal interface IUnaryOperator
{
    static abstract TVec Invoke<TVec>(TVec x) where TVec : struct, IVector<TVec>;
}

/// <summary>result = f(a, b), one vector at a time.</summary>
internal interface IBinaryOperator
{
    static abstract TVec Invoke<TVec>(TVec a, TVec b) where TVec : struct, IVector<TVec>;
}

/// <summary>A non-linearity with its backward form taken from the forward output (what a cell keeps).</summary>
internal interface IActivation
{
    static abstract TVec Forward<TVec>(TVec x) where TVec : struct, IVector<TVec>;

    /// <summary>dy * f'(x), written in terms of y = f(x).</summary>
    static abstract TVec Backward<TVec>(TVec y, TVec dy) where TVec : struct, IVector<TVec>;
}

internal readonly struct TanhOperator : IUnaryOperator, IActivation
{
    public static TVec Invoke<TVec>(TVec x) where TVec : struct, IVector<TVec> => ActivationMath.Tanh(x);
    public static TVec Forward<TVec>(TVec x) where TVec : struct, IVector<TVec> => ActivationMath.Tanh(x);
    public static TVec Backward<TVec>(TVec y, TVec dy) where TVec : struct, IVector<TVec> => ActivationMath.TanhBackward(y, dy);
}

internal readonly struct SigmoidOperator : IUnaryOperator
{
    public static TVec Invoke<TVec>(TVec x) where TVec : struct, IVector<TVec> => ActivationMath.Sigmoid(x);
}

internal readonly struct ReluOperator : IUnaryOperator, IActivation
{
    public static TVec Invoke<TVec>(TVec x) where TVec : struct, IVector<TVec> => ActivationMath.Relu(x);
    public static TVec Forward<TVec>(TVec x) where TVec : struct, IVector<TVec> => ActivationMath.Relu(x);
    public static TVec Backward<TVec>(TVec y, TVec dy) where TVec : struct, IVector<TVec> => ActivationMath.ReluBackward(y, dy);
}

internal readonly struct TanhBackwardOperator : IBinaryOperator
{
    public static TVec Invoke<TVec>(TVec y, TVec dy) where TVec : struct, IVector<TVec> => ActivationMath.TanhBackward(y, dy);
}

internal readonly struct SigmoidBackwardOperator : IBinaryOperator
{
    public static TVec Invoke<TVec>(TVec y, TVec dy) where TVec : struct, IVector<TVec> => ActivationMath.SigmoidBackward(y, dy);
}

internal readonly struct ReluBackwardOperator : IBinaryOperator
{
    public static TVec Invoke<TVec>(TVec y, TVec dy) where TVec : struct, IVector<TVec> => ActivationMath.ReluBackward(y, dy);
}
