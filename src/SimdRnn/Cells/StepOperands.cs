namespace SimdRnn.Cells;

/// <summary>
/// The operands of one fused forward step over a batch, as raw pointers so that threads can share them (the caller
/// keeps the memory pinned). Each cell reads the members it needs; matrices are rows x width, row-major.
/// </summary>
internal unsafe struct ForwardStep
{
    /// <summary>rows x G*H: x W_ih^T (plus h W_hh^T unless the cell keeps it apart); the activated gates after the step when saving
    /// (some cells write them in inference too: they are the step's own rows).
    /// Row stride <see cref="Ldg"/> (batch-first sequences keep a batch row's steps together).</summary>
    public float* Gates;
    public nint Ldg;

    /// <summary>rows x G*H: h_{t-1} W_hh^T, for cells that keep the recurrent product apart (row stride <see cref="LdRecurrentGates"/>).</summary>
    public float* RecurrentGates;
    public nint LdRecurrentGates;

    /// <summary>G*H: b_ih + b_hh, or b_ih alone for cells that keep the recurrent product apart.</summary>
    public float* Bias;

    /// <summary>G*H: b_hh, for cells that keep the recurrent product apart.</summary>
    public float* RecurrentBias;

    public float* HPrevious;
    public nint LdhPrevious;

    /// <summary>Receives h_t (row stride <see cref="Ldh"/>: the directions of a layer interleave).</summary>
    public float* H;
    public nint Ldh;

    /// <summary>LSTM: c_{t-1} in, c_t out (rows x H; may be the same memory in inference).</summary>
    public float* CPrevious, C;

    /// <summary>rows x H that the cell keeps for backward (<see cref="ICell.SavesExtraState"/>) when saving.</summary>
    public float* Extra;

    /// <summary>The row stride of <see cref="Extra"/> for cells that reset before the recurrent product (the others use H).</summary>
    public nint LdExtra;

    /// <summary>Which phase of a step runs, for cells that reset before the recurrent product (0, then 1); 0 otherwise.</summary>
    public int Phase;

    public int Hidden;

    /// <summary>Training: overwrite <see cref="Gates"/> with the activated gates and fill <see cref="Extra"/>.</summary>
    public bool Save;
}

/// <summary>The operands of one fused backward step (see <see cref="ForwardStep"/>).</summary>
internal unsafe struct BackwardStep
{
    /// <summary>rows x G*H: the saved activated gates in, the pre-activation gradients dG out (row stride <see cref="Ldg"/>).</summary>
    public float* Gates;

    /// <summary>rows x G*H: receives the recurrent-side gradients, for cells that keep the recurrent product apart (row stride <see cref="Ldg"/>).</summary>
    public float* RecurrentGradients;
    public nint Ldg;

    /// <summary>What forward kept beside the gates (<see cref="ForwardStep.Extra"/>).</summary>
    public float* Extra;

    public float* HPrevious;
    public nint LdhPrevious;

    /// <summary>h_t as forward wrote it.</summary>
    public float* H;
    public nint Ldh;

    /// <summary>LSTM: c_t and c_{t-1}.</summary>
    public float* C, CPrevious;

    /// <summary>dL/dh_t from the output (row stride <see cref="Lddy"/>).</summary>
    public float* Dy;
    public nint Lddy;

    /// <summary>rows x H: dL/dh_t through the later steps. Cells that keep the recurrent product apart overwrite it with
    /// the direct part of dL/dh_{t-1} (it is read before it is written, element by element).</summary>
    public float* DhRecurrent;

    /// <summary>LSTM: dL/dc_t in, dL/dc_{t-1} out.</summary>
    public float* Dc;

    /// <summary>rows x H (row stride H): dL/d(r * h_{t-1}), for cells that reset before the recurrent product (phase 1 reads it).</summary>
    public float* ResetProductGradient;

    /// <summary>As <see cref="ForwardStep.Phase"/>.</summary>
    public int Phase;

    public int Hidden;
}
