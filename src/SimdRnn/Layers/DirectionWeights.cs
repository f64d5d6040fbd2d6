using SimdRnn.Execution;
using SimdRnn.Sgemm;

namespace SimdRnn.Layers;

/// <summary>
/// The weights of one direction of one layer as its loops use them: the tensors, and their packed forms when the
/// caller prepared them (<see cref="PreparedWeights"/>); what is not prepared is packed per call into the stack's
/// pack scratch (W_hh) or on the fly by the GEMM (W_ih).
/// </summary>
internal readonly ref struct DirectionWeights(DirectionTensors tensors)
{
    public DirectionTensors Tensors { get; } = tensors;

    /// <summary>W_ih^T packed (I x G*H), or empty.</summary>
    public ReadOnlySpan<float> PackedInputTransposed { get; init; }

    /// <summary>W_hh^T packed (H x G*H; its merged rows only, H x 2H, for a GRU that resets before the product) for the forward steps, or empty.</summary>
    public ReadOnlySpan<float> PackedRecurrentTransposed { get; init; }

    /// <summary>W_hh packed (G*H x H; the merged rows only, as above) for the backward steps, or empty.</summary>
    public ReadOnlySpan<float> PackedRecurrent { get; init; }

    /// <summary>W_hn^T packed (H x H), the last gate's rows of W_hh for a GRU that resets before the product, or empty.</summary>
    public ReadOnlySpan<float> PackedCandidateTransposed { get; init; }

    /// <summary>W_hn packed (H x H) for the backward steps of such a GRU, or empty.</summary>
    public ReadOnlySpan<float> PackedCandidate { get; init; }

    /// <summary>The element format of the prepared panels (what is packed per call is float32).</summary>
    public PanelFormat PackedFormat { get; init; }

    /// <summary>The format of <see cref="RecurrentTransposed"/>'s panels.</summary>
    public PanelFormat RecurrentTransposedFormat => PackedRecurrentTransposed.IsEmpty ? PanelFormat.Float32 : PackedFormat;

    /// <summary>Where W_hh (or W_hh^T; its merged rows) is packed when it was not prepared.</summary>
    public Span<float> PackScratch { get; init; }

    /// <summary>Where W_hn (or W_hn^T) is packed when it was not prepared.</summary>
    public Span<float> CandidatePackScratch { get; init; }

    /// <summary>W_hr^T packed (H x P) for the forward steps, or empty (no projection, or not prepared).</summary>
    public ReadOnlySpan<float> PackedProjectionTransposed { get; init; }

    /// <summary>W_hr packed (P x H) for the backward steps, or empty.</summary>
    public ReadOnlySpan<float> PackedProjection { get; init; }

    /// <summary>Where W_hr (or W_hr^T) is packed when it was not prepared.</summary>
    public Span<float> ProjectionPackScratch { get; init; }

    /// <summary>The format of <see cref="ProjectionTransposed"/>'s panels.</summary>
    public PanelFormat ProjectionTransposedFormat => PackedProjectionTransposed.IsEmpty ? PanelFormat.Float32 : PackedFormat;

    /// <summary>W_hr^T packed (H x P) for the forward steps: the prepared panels, or packed now into the scratch; empty without a projection.</summary>
    public ReadOnlySpan<float> ProjectionTransposed(in KernelContext context, int hidden, int projection) =>
        projection == 0 ? default : !PackedProjectionTransposed.IsEmpty ? PackedProjectionTransposed
            : PackedMatrix.PackInto(context, MatrixOp.Transpose, hidden, projection, Tensors.ProjectionWeights, hidden, ProjectionPackScratch);

    /// <summary>W_hr packed (P x H) for the backward steps: the prepared panels, or packed now into the scratch; empty without a projection.</summary>
    public ReadOnlySpan<float> Projection(in KernelContext context, int hidden, int projection) =>
        projection == 0 ? default : !PackedProjection.IsEmpty ? PackedProjection
            : PackedMatrix.PackInto(context, MatrixOp.None, projection, hidden, Tensors.ProjectionWeights, hidden, ProjectionPackScratch);

    /// <summary>
    /// The first <paramref name="mergedWidth"/> rows of W_hh (<paramref name="state"/> = S wide), transposed and packed, for the forward steps: the prepared
    /// panels, or packed now into the scratch.
    /// </summary>
    public ReadOnlySpan<float> RecurrentTransposed(in KernelContext context, int state, int mergedWidth) =>
        !PackedRecurrentTransposed.IsEmpty ? PackedRecurrentTransposed
            : PackedMatrix.PackInto(context, MatrixOp.Transpose, state, mergedWidth, Tensors.RecurrentWeights, state, PackScratch);

    /// <summary>The first <paramref name="mergedWidth"/> rows of W_hh packed for the backward steps: the prepared panels, or packed now.</summary>
    public ReadOnlySpan<float> Recurrent(in KernelContext context, int state, int mergedWidth) =>
        !PackedRecurrent.IsEmpty ? PackedRecurrent
            : PackedMatrix.PackInto(context, MatrixOp.None, mergedWidth, state, Tensors.RecurrentWeights, state, PackScratch);

    /// <summary>W_hn^T (the H rows of W_hh after the merged ones) packed for the forward steps: prepared, or packed now.</summary>
    public ReadOnlySpan<float> CandidateTransposed(in KernelContext context, int hidden, int mergedWidth) =>
        !PackedCandidateTransposed.IsEmpty ? PackedCandidateTransposed
            : PackedMatrix.PackInto(context, MatrixOp.Transpose, hidden, hidden, Tensors.RecurrentWeights[(mergedWidth * hidden)..], hidden,
                CandidatePackScratch);

    /// <summary>W_hn packed for the backward steps: prepared, or packed now.</summary>
    public ReadOnlySpan<float> Candidate(in KernelContext context, int hidden, int mergedWidth) =>
        !PackedCandidate.IsEmpty ? PackedCandidate
            : PackedMatrix.PackInto(context, MatrixOp.None, hidden, hidden, Tensors.RecurrentWeights[(mergedWidth * hidden)..], hidden,
                CandidatePackScratch);
}

/// <summary>The tensors (two weights, two biases or none) of one direction of one layer, as views of <see cref="RecurrentParameters.All"/> (or of gradients of the same shape).</summary>
internal readonly ref struct DirectionTensors(Span<float> inputWeights, Span<float> recurrentWeights, Span<float> inputBias, Span<float> recurrentBias)
{
    /// <summary>W_ih, G*H x I.</summary>
    public Span<float> InputWeights { get; } = inputWeights;

    /// <summary>W_hh, G*H x H.</summary>
    public Span<float> RecurrentWeights { get; } = recurrentWeights;

    /// <summary>b_ih, G*H; empty when the layers have no biases.</summary>
    public Span<float> InputBias { get; } = inputBias;

    /// <summary>b_hh, G*H; empty when the layers have no biases.</summary>
    public Span<float> RecurrentBias { get; } = recurrentBias;

    /// <summary>W_hr, P x H (an LSTM's projection); empty without one.</summary>
    public Span<float> ProjectionWeights { get; init; }
}
