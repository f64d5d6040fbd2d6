using SimdRnn.Vectors;

namespace SimdRnn.Cells;

/// <summary>
/// A recurrent cell as the step loop sees it: how many gates it has, how the recurrent product h W_hh^T enters them,
/// and its fused pointwise forward (over a row's columns [j0, j1)) and backward step (over [j, j + TVec.Count)). A new cell
/// kind or variant is one type implementing this; the loops in <c>Layers/</c> are generic over it.
/// </summary>
internal interface ICell
{
    /// <summary>G: the gate pre-activations of one row are G*H wide (the merged GEMM's columns).</summary>
    static abstract int GateCount { get; }

    /// <summary>LSTM: a cell state c runs beside h.</summary>
    static abstract bool HasCellState { get; }

    /// <summary>
    /// False: the recurrent product is added onto the input projection (beta = 1) and one combined bias
    /// b_ih + b_hh applies. True (GRU): the product is kept in <see cref="ForwardStep.RecurrentGates"/> because a gate
    /// multiplies part of it, the biases stay apart, and backward produces separate recurrent-side gate gradients
    /// plus a direct part of dh_{t-1} that the product dG_h W_hh is added onto.
    /// </summary>
    static abstract bool KeepsRecurrentProductApart { get; }

    /// <summary>Whether forward keeps rows x H floats per step beside the activated gates (<see cref="ForwardStep.Extra"/>).</summary>
    static abstract bool SavesExtraState { get; }

    /// <summary>
    /// True (the GRU with the reset gate before the recurrent product): the last gate's recurrent product is taken of
    /// r * h_{t-1} rather than h_{t-1}, so a step runs in two phases (<see cref="ForwardStep.Phase"/>): the product of the
    /// other gates and the cell's first phase (which writes r * h_{t-1} to <see cref="ForwardStep.Extra"/>), then the
    /// last gate's product and the second phase; backward mirrors it. W_hh is packed as two matrices, the merged
    /// gates' and the last gate's. False for the cells whose whole recurrent product is one merged GEMM.
    /// </summary>
    static virtual bool ResetsBeforeRecurrentProduct => false;

    /// <summary>Forward over columns [j0, j1) of one batch row, j1 - j0 a multiple of TVec.Count.</summary>
    static abstract void Forward<TVec>(in ForwardStep s, int row, nuint j0, nuint j1) where TVec : struct, IVector<TVec>;

    static abstract void Backward<TVec>(in BackwardStep s, int row, nuint j) where TVec : struct, IVector<TVec>;
}
