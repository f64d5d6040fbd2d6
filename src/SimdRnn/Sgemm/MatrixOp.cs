namespace SimdRnn;

/// <summary>How <see cref="Gemm"/> reads a stored row-major matrix: as it is, or transposed.</summary>
public enum MatrixOp
{
    /// <summary>op(X) = X.</summary>
    None,

    /// <summary>op(X) = X^T: a stored r x c matrix is used as c x r.</summary>
    Transpose,
}
