using SimdRnn.Internal;

namespace SimdRnn;

internal readonly struct TanhOperator : IUnaryOperator
{
    public static TVec Invoke<TVec>(TVec x) where TVec : struct, IVector<TVec> => VectorMath.Tanh(x);
}

internal readonly struct SigmoidOperator : IUnaryOperator
{
    public static TVec Invoke<TVec>(TVec x) where TVec : struct, IVector<TVec> => VectorMath.Sigmoid(x);
}

internal readonly struct ReluOperator : IUnaryOperator
{
    public static TVec Invoke<TVec>(TVec x) where TVec : struct, IVector<TVec> => VectorMath.Relu(x);
}

internal readonly struct TanhBackwardOperator : IBinaryOperator
{
    public static TVec Invoke<TVec>(TVec y, TVec dy) where TVec : struct, IVector<TVec> => VectorMath.TanhBackward(y, dy);
}

internal readonly struct SigmoidBackwardOperator : IBinaryOperator
{
    public static TVec Invoke<TVec>(TVec y, TVec dy) where TVec : struct, IVector<TVec> => VectorMath.SigmoidBackward(y, dy);
}

internal readonly struct ReluBackwardOperator : IBinaryOperator
{
    public static TVec Invoke<TVec>(TVec y, TVec dy) where TVec : struct, IVector<TVec> => VectorMath.ReluBackward(y, dy);
}
