namespace SimdRnn.Internal;

/// <summary>a + b.</summary>
internal readonly struct AddOperator : IBinaryOperator
{
    public static TVec Invoke<TVec>(TVec a, TVec b) where TVec : struct, IVector<TVec> => a + b;
}
