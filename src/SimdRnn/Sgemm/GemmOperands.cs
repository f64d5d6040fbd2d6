namespace SimdRnn.Sgemm;

/// <summary>
/// One validated product C = alpha * op(A) * op(B) + beta * C as raw pointers, so that worker threads can share it.
/// The caller keeps the memory pinned for the duration of the call.
/// </summary>
internal unsafe struct GemmOperands
{
    public float* A;
    public nint Lda;
    public bool TransposeA;

    /// <summary>B as stored (unused when <see cref="PackedB"/> is set).</summary>
    public float* B;
    public nint Ldb;
    public bool TransposeB;

    /// <summary>op(B) already in panel layout (see <see cref="Packing.PackB{TVec}"/>), or null to pack on the fly.</summary>
    public float* PackedB;

    /// <summary>The element format of <see cref="PackedB"/>'s panels.</summary>
    public PanelFormat PackedFormat;

    public float* C;
    public nint Ldc;

    public int M, N, K;
    public float Alpha;

    /// <summary>False only while beta = 0: then the first pass over K must not read C (it may hold NaN).</summary>
    public bool LoadC;

    /// <summary>op(A)[i, k].</summary>
    public readonly float AAt(nint i, nint k) => TransposeA ? A[k * Lda + i] : A[i * Lda + k];
}
