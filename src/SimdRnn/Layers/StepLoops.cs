using System.Runtime.CompilerServices;
using SimdRnn.Cells;
using SimdRnn.Execution;
using SimdRnn.Sgemm;

namespace SimdRnn.Layers;

/// <summary>
/// The recurrence of a forward direction, run by one team for all steps (<see cref="Team"/>): each member owns a fixed
/// share (<see cref="StepSplit"/>) and, at every step, multiplies h_{t-1} by its part of the packed W_hh^T and applies
/// the fused cell to that tile at once, while it is still in its cache. By batch rows the members never meet; by hidden
/// units they meet once per step (h_t complete before step t+1 reads it). The operands are raw pointers into memory
/// the caller keeps pinned.
/// </summary>
internal readonly unsafe struct ForwardSteps<TCell> : ITeamAction where TCell : struct, ICell
{
    public required DirectionPlan Plan { get; init; }
    public required StepSplit Split { get; init; }

    /// <summary>The step operands that do not change from step to step (biases, strides, sizes, save).</summary>
    public required ForwardStep Template { get; init; }

    public required float* Gates { get; init; }
    public required float* Cells { get; init; }
    public required float* Extra { get; init; }
    public required float* Y { get; init; }

    /// <summary>The width of a row of y (the directions of a layer interleave); rows of a step are <see cref="DirectionShape.RowStride"/> apart.</summary>
    public required int Ldy { get; init; }
    public required float* H0 { get; init; }

    /// <summary>W_hh^T packed (H x G*H).</summary>
    public required float* PackedRecurrentTransposed { get; init; }

    public required PanelFormat PackedFormat { get; init; }

    /// <summary>
    /// x (all rows of the sequence, I wide) when the members compute their own gate columns of the input projection
    /// before the steps (hidden-unit split, prepared weights); null when the gates already hold it.
    /// </summary>
    public float* Input { get; init; }

    /// <summary>W_ih^T packed (I x G*H), with <see cref="Input"/>.</summary>
    public float* PackedInputTransposed { get; init; }

    public PanelFormat InputFormat { get; init; }

    // Runs once per call with the whole sequence inside: without this it would run tier-0 code for dozens of calls.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Invoke(in TeamMember member)
    {
        DirectionShape s = Plan.Shape;
        SimdPath path = Plan.Context.Path;
        int n = s.Batch, h = s.Hidden, gw = s.GateWidth;
        (int r0, int r1, int j0, int j1) = Split.Share(member.Rank, member.Size, n, h);
        // Cells that keep the recurrent product apart get it alone; the others get it added onto x W_ih^T.
        float beta = TCell.KeepsRecurrentProductApart ? 0f : 1f;
        ForwardStep step = Template;
        if (Input != null)
            for (int gate = 0; gate < TCell.GateCount; gate++)
                GemmKernel.MultiplyPackedTile(path, 0, s.Rows, gate * h + j0, gate * h + j1, gw, s.Input, Input, s.Input, PackedInputTransposed, 0f,
                    Gates, gw, InputFormat);

        int ldProduct = (int)(TCell.KeepsRecurrentProductApart ? step.LdRecurrentGates : step.Ldg);
        for (int processed = 0; processed < s.Steps; processed++)
        {
            int t = Plan.TimeOf(processed);
            float* hPrevious = processed == 0 ? H0 : Y + s.StepStart(Plan.TimeOf(processed - 1), Ldy);
            int ldhPrevious = processed == 0 ? h : (int)step.Ldh;
            step.Gates = Gates + s.StepStart(t, gw);
            float* product = TCell.KeepsRecurrentProductApart ? step.RecurrentGates : step.Gates;
            if (Split.ByRows)
                GemmKernel.MultiplyPackedTile(path, r0, r1, 0, gw, gw, h, hPrevious, ldhPrevious, PackedRecurrentTransposed, beta, product,
                    ldProduct, PackedFormat);
            else
                for (int gate = 0; gate < TCell.GateCount; gate++)
                    GemmKernel.MultiplyPackedTile(path, 0, n, gate * h + j0, gate * h + j1, gw, h, hPrevious, ldhPrevious,
                        PackedRecurrentTransposed, beta, product, ldProduct, PackedFormat);

            step.HPrevious = hPrevious;
            step.LdhPrevious = ldhPrevious;
            step.H = Y + s.StepStart(t, Ldy);
            step.CPrevious = Cells + (nint)Plan.PreviousCellSlot(t) * s.State;
            step.C = Cells + (nint)Plan.CellSlot(t) * s.State;
            step.Extra = Extra + (nint)t * s.State;
            CellPass.ForwardTile<TCell>(path, step, r0, r1, j0, j1);
            if (!Split.ByRows && !member.Meet()) return;
        }
    }
}

/// <summary>
/// The recurrence of BPTT, run by one team for all steps, last to first, with the forward's split: each member applies
/// the fused backward cell to its share, then computes its share of dh_{t-1} = dG_h W_hh (its rows, or its hidden
/// columns of the packed W_hh). By batch rows the members never meet; by hidden units they meet once per step, between
/// the cell (which fills dG_h) and the product (which reads all of it); the next step's cell needs only the member's
/// own columns of dh and dc, so no second meeting.
/// </summary>
internal readonly unsafe struct BackwardSteps<TCell> : ITeamAction where TCell : struct, ICell
{
    public required DirectionPlan Plan { get; init; }
    public required StepSplit Split { get; init; }

    /// <summary>The step operands that do not change from step to step (dh, dc, strides, sizes).</summary>
    public required BackwardStep Template { get; init; }

    public required float* Gates { get; init; }

    /// <summary>dG_h of every step: the gates themselves, or a buffer of their own for cells that keep the product apart.</summary>
    public required float* RecurrentGradients { get; init; }

    public required float* Cells { get; init; }
    public required float* Extra { get; init; }
    public required float* Y { get; init; }

    /// <summary>The widths of a row of y and of dy (their rows of a step are <see cref="DirectionShape.RowStride"/> apart).</summary>
    public required int Ldy { get; init; }
    public required int Lddy { get; init; }
    public required float* Dy { get; init; }
    public required float* H0 { get; init; }

    /// <summary>W_hh packed (G*H x H).</summary>
    public required float* PackedRecurrent { get; init; }

    // Runs once per call with the whole sequence inside: without this it would run tier-0 code for dozens of calls.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Invoke(in TeamMember member)
    {
        DirectionShape s = Plan.Shape;
        SimdPath path = Plan.Context.Path;
        int n = s.Batch, h = s.Hidden, gw = s.GateWidth;
        (int r0, int r1, int j0, int j1) = Split.Share(member.Rank, member.Size, n, h);
        // The product is added onto the cell's direct part of dh_{t-1} where it has one.
        float beta = TCell.KeepsRecurrentProductApart ? 1f : 0f;
        BackwardStep step = Template;
        for (int processed = s.Steps - 1; processed >= 0; processed--)
        {
            int t = Plan.TimeOf(processed);
            step.Gates = Gates + s.StepStart(t, gw);
            step.RecurrentGradients = RecurrentGradients + s.StepStart(t, gw);
            step.Extra = Extra + (nint)t * s.State;
            step.HPrevious = processed == 0 ? H0 : Y + s.StepStart(Plan.TimeOf(processed - 1), Ldy);
            step.LdhPrevious = processed == 0 ? h : Template.Ldh;
            step.H = Y + s.StepStart(t, Ldy);
            step.C = Cells + (nint)Plan.CellSlot(t) * s.State;
            step.CPrevious = Cells + (nint)Plan.PreviousCellSlot(t) * s.State;
            step.Dy = Dy + s.StepStart(t, Lddy);
            CellPass.BackwardTile<TCell>(path, step, r0, r1, j0, j1);
            if (!Split.ByRows && !member.Meet()) return;
            GemmKernel.MultiplyPackedTile(path, r0, r1, j0, j1, h, gw, step.RecurrentGradients, (int)step.Ldg, PackedRecurrent, beta, step.DhRecurrent, h);
        }
    }
}
