using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SimdRnn.Layers;
using SimdRnn.Sgemm;

namespace SimdRnn.Tests.Layers;

/// <summary>
/// The workspace layouts as documented (<see cref="StackLayout"/>, <see cref="DirectionShape"/>): every region has its
/// documented size, the regions in use at the same time never overlap, and together they fill the workspace exactly, so
/// <see cref="RecurrentStack.WorkspaceLength(int, int, bool, bool, bool)"/> asks for no float that nothing uses. (Overlaps
/// also show in results; a gap or an oversized region shows only here.) And the cell-state slots of a direction chain
/// as documented on <see cref="DirectionPlan.CellSlot"/>.
/// </summary>
public class WorkspaceLayoutTests
{
    private const int Steps = 5, Batch = 3, Input = 7, Hidden = 6, Projection = 4;

    /// <summary>Every cell form, 1 to 4 layers, one or two directions; an LSTM with a projection.</summary>
    private static IEnumerable<(CellKind Cell, bool LinearBeforeReset, int Layers, bool Bidirectional, int Projection)> Stacks()
    {
        foreach ((CellKind cell, bool linearBeforeReset) in StackArbitraries.CellForms)
            foreach (int layers in new[] { 1, 2, 3, 4 })
                foreach (bool bidirectional in new[] { false, true })
                    yield return (cell, linearBeforeReset, layers, bidirectional, 0);
        foreach (int layers in new[] { 1, 3 })
            yield return (CellKind.Lstm, true, layers, true, Projection);
    }

    [Fact]
    public void The_stack_workspace_is_its_documented_regions_exactly()
    {
        foreach ((CellKind cell, bool linearBeforeReset, int layers, bool bidirectional, int projection) in Stacks())
            foreach (bool batchFirst in new[] { false, true })
                foreach (float dropout in new[] { 0f, 0.25f })
                {
                    var stack = new RecurrentStack(cell, Input, Hidden, layers, bidirectional,
                        new() { LinearBeforeReset = linearBeforeReset, ProjectionSize = projection, BatchFirst = batchFirst, Dropout = dropout });
                    foreach (bool training in new[] { false, true })
                        foreach (bool prepared in new[] { false, true })
                            foreach (bool packed in new[] { false, true })
                                AssertStackLayout(stack, training, prepared, packed);
                }
    }

    /// <summary>Dropout needs room only where it applies: a training forward of two layers or more (PyTorch's rule).</summary>
    [Fact]
    public void Dropout_takes_workspace_only_between_layers_in_training()
    {
        foreach (int layers in new[] { 1, 2 })
            foreach (bool training in new[] { false, true })
            {
                long withoutDropout = new RecurrentStack(CellKind.Gru, Input, Hidden, layers).WorkspaceLength(Steps, Batch, training);
                long withDropout = new RecurrentStack(CellKind.Gru, Input, Hidden, layers, options: new() { Dropout = 0.5f }).WorkspaceLength(Steps, Batch, training);
                // The masked copies of the inner layers' outputs and the seed (2 floats).
                long expected = training && layers > 1 ? (layers - 1L) * Steps * Batch * Hidden + 2 : 0;
                Assert.Equal(expected, withDropout - withoutDropout);
            }
    }

    [Fact]
    public void A_direction_workspace_is_its_documented_regions_exactly()
    {
        foreach ((CellKind cell, bool linearBeforeReset, int projection) in
                 StackArbitraries.CellForms.Select(form => (form.Cell, form.LinearBeforeReset, 0)).Append((CellKind.Lstm, true, Projection)))
            AssertDirectionLayout(cell, linearBeforeReset, Hidden, projection);
        // Packing W_hr (P x H) for backward takes more room than W_hr^T (H x P) when P is a whole panel and H one float past it.
        AssertDirectionLayout(CellKind.Lstm, true, 33, 32);
    }

    private static void AssertDirectionLayout(CellKind cell, bool linearBeforeReset, int hidden, int projection)
    {
        CellTraits traits = new RecurrentStack(cell, Input, hidden, options: new() { LinearBeforeReset = linearBeforeReset }).CellTraits;
        foreach (bool training in new[] { false, true })
        {
            var s = new DirectionShape(traits, Steps, Batch, Input, hidden, training, Projection: projection);
            int gates = traits.GateCount, rows = Steps * Batch, state = Batch * hidden, width = projection > 0 ? projection : hidden;
            bool lstm = cell == CellKind.Lstm, resetFirst = traits.ResetsBeforeRecurrentProduct;
            Span<float> workspace = new float[s.WorkspaceLength];
            var regions = new List<Region>();
            Add(regions, workspace, s.Gates(workspace), "gates", rows * gates * hidden);
            Add(regions, workspace, s.Cells(workspace), "cells", !lstm ? 0 : training ? (Steps + 1) * state : state);
            Add(regions, workspace, s.Extra(workspace), "extra", !traits.SavesExtraState ? 0 : training ? rows * hidden : resetFirst ? state : 0);
            Add(regions, workspace, s.Bias(workspace), "bias", gates * hidden);
            Add(regions, workspace, s.RecurrentGates(workspace), "recurrent gates",
                !traits.KeepsRecurrentProductApart ? 0 : training ? rows * gates * hidden : state * gates);
            Add(regions, workspace, s.Dh(workspace), "dh", training ? Batch * width : 0);
            Add(regions, workspace, s.Dc(workspace), "dc", training && lstm ? state : 0);
            Add(regions, workspace, s.ResetProductGradient(workspace), "d(r * h)", training && resetFirst ? state : 0);
            Add(regions, workspace, s.Unprojected(workspace), "unprojected", projection == 0 ? 0 : training ? rows * hidden : state);
            Add(regions, workspace, s.ProjectedGradients(workspace), "projected gradients", projection > 0 && training ? rows * projection : 0);
            Add(regions, workspace, s.UnprojectedGradient(workspace), "unprojected gradient", projection > 0 && training ? state : 0);
            Add(regions, workspace, s.Zeros(workspace), "zeros", projection > 0 && training ? state : 0);
            AssertTiles(regions, s.WorkspaceLength, $"{cell} lbr={linearBeforeReset} P={projection} training={training}");

            Assert.Equal(gates * hidden, s.GateWidth);
            Assert.Equal((resetFirst ? gates - 1 : gates) * hidden, s.MergedWidth);
            Assert.Equal(rows, s.Rows);
            Assert.Equal(width, s.StateWidth);
            int merged = s.MergedWidth;
            Assert.Equal(training ? Math.Max(PackedMatrix.BufferLength(width, merged), PackedMatrix.BufferLength(merged, width))
                : PackedMatrix.BufferLength(width, merged), s.PackedRecurrentLength);
            Assert.Equal(projection == 0 ? 0 : training ? Math.Max(PackedMatrix.BufferLength(hidden, projection), PackedMatrix.BufferLength(projection, hidden))
                : PackedMatrix.BufferLength(hidden, projection), s.PackedProjectionLength);
            Assert.Equal(resetFirst ? PackedMatrix.BufferLength(hidden, hidden) : 0, s.PackedCandidateLength);
        }
    }

    /// <summary>Time-major rows t*N + n, batch-first rows n*T + t (PyTorch's batch_first).</summary>
    [Fact]
    public void Steps_start_and_stride_as_each_layout_stores_them()
    {
        var timeMajor = new DirectionShape(default, Steps, Batch, Input, Hidden, false);
        var batchFirst = timeMajor with { BatchFirst = true };
        for (int t = 0; t < Steps; t++)
        {
            Assert.Equal((nint)(t * Batch * 11), timeMajor.StepStart(t, 11));
            Assert.Equal((nint)(t * 11), batchFirst.StepStart(t, 11));
        }

        Assert.Equal(11, timeMajor.RowStride(11));
        Assert.Equal(Steps * 11, batchFirst.RowStride(11));
    }

    /// <summary>
    /// Training keeps c_t in slot t + 1 forward and t in reverse, the initial state in the slot the direction starts
    /// from (0 forward, T reverse), the state entering a step is the one the step before it left, and no two steps share
    /// a slot; inference has one slot.
    /// </summary>
    [Fact]
    public void Cell_state_slots_chain_from_the_initial_one_in_processing_order()
    {
        foreach (bool reverse in new[] { false, true })
        {
            var plan = new DirectionPlan(default, new DirectionShape(default, Steps, Batch, Input, Hidden, Training: true), reverse);
            Assert.Equal(reverse ? Steps : 0, plan.InitialCellSlot);
            var used = new HashSet<int> { plan.InitialCellSlot };
            for (int step = 0; step < Steps; step++)
            {
                int time = plan.TimeOf(step);
                Assert.Equal(reverse ? Steps - 1 - step : step, time);
                Assert.Equal(reverse ? time : time + 1, plan.CellSlot(time));
                Assert.Equal(step == 0 ? plan.InitialCellSlot : plan.CellSlot(plan.TimeOf(step - 1)), plan.PreviousCellSlot(time));
                Assert.True(used.Add(plan.CellSlot(time)), $"reverse={reverse}: slot {plan.CellSlot(time)} reused at t={time}");
            }

            var inference = plan with { Shape = plan.Shape with { Training = false } };
            Assert.Equal(0, inference.InitialCellSlot);
            for (int time = 0; time < Steps; time++)
                Assert.Equal((0, 0), (inference.CellSlot(time), inference.PreviousCellSlot(time)));
        }
    }

    private static void AssertStackLayout(RecurrentStack stack, bool training, bool prepared, bool packed)
    {
        var layout = new StackLayout(stack, Steps, Batch, training, prepared, packed);
        string what = $"{StackChecks.Label(stack)} L={stack.Layers} D={stack.Directions} P={stack.ProjectionSize} batchFirst={stack.BatchFirst} " +
                      $"dropout={stack.Dropout} training={training} prepared={prepared} packed={packed}";
        Assert.Equal(stack.WorkspaceLength(Steps, Batch, training, prepared, packed), layout.Length);
        Span<float> workspace = new float[layout.Length];
        int layers = stack.Layers, directions = stack.Directions, width = stack.ProjectionSize > 0 ? stack.ProjectionSize : Hidden;
        int output = Steps * Batch * directions * width, input = Steps * Batch * Input;
        bool dropout = training && stack.Dropout > 0 && layers > 1;
        Assert.Equal(dropout, layout.Dropout);
        var regions = new List<Region>();

        // Inner layers' outputs: all of them for training, two in turn for inference (layer l in l % 2).
        for (int layer = 0; layer < layers - 1; layer++)
            if (training || layer < 2) Add(regions, workspace, layout.LayerOutput(workspace, layer), $"output {layer}", output, what);
            else Assert.True(Same(layout.LayerOutput(workspace, layer), layout.LayerOutput(workspace, layer % 2)), $"{what}: output {layer}");
        // Input gradients above layer 0 (training), two in turn.
        for (int layer = 1; training && layer < layers; layer++)
            if (layer <= 2) Add(regions, workspace, layout.InputGradient(workspace, layer), $"input gradient {layer}", output, what);
            else Assert.True(Same(layout.InputGradient(workspace, layer), layout.InputGradient(workspace, layer - 2)), $"{what}: input gradient {layer}");
        for (int layer = 0; dropout && layer < layers - 1; layer++)
            Add(regions, workspace, layout.DroppedOutput(workspace, layer), $"dropped output {layer}", output, what);
        if (dropout) Add(regions, workspace, layout.Seed(workspace), "seed", 2, what);

        // Direction workspaces: one per (layer, direction) for training; one for inference that every direction reuses.
        int widest = 0;
        for (int layer = 0; layer < layers; layer++)
        {
            DirectionShape shape = layout.Shape(layer);
            Assert.Equal(new DirectionShape(stack.CellTraits, Steps, Batch, layer == 0 ? Input : directions * width, Hidden, training,
                stack.BatchFirst && !packed, stack.ProjectionSize), shape);
            for (int direction = 0; direction < directions; direction++)
            {
                DirectionPlan plan = layout.Plan(default, layer, direction);
                Assert.Equal((shape, direction == 1, stack.StepSplit), (plan.Shape, plan.Reverse, plan.Split));
                Span<float> region = layout.DirectionWorkspace(workspace, layer, direction);
                Assert.Equal(shape.WorkspaceLength, region.Length);
                if (training) Add(regions, workspace, region, $"direction ({layer}, {direction})", (int)shape.WorkspaceLength, what);
                else
                {
                    Assert.True(Offset(workspace, region) == Offset(workspace, layout.DirectionWorkspace(workspace, 0, 0)), $"{what}: direction ({layer}, {direction})");
                    widest = Math.Max(widest, region.Length);
                }
            }
        }

        if (!training) regions.Add(new Region("directions", Offset(workspace, layout.DirectionWorkspace(workspace, 0, 0)), widest));

        // W_hh (and W_hn or W_hr) packed per call, sized for the shape every layer packs.
        DirectionShape top = layout.Shape(0);
        Add(regions, workspace, layout.PackScratch(workspace), "pack scratch", prepared ? 0 : (int)top.PackedRecurrentLength, what);
        Add(regions, workspace, layout.CandidatePackScratch(workspace), "candidate pack scratch", prepared ? 0 : (int)top.PackedCandidateLength, what);
        Add(regions, workspace, layout.ProjectionPackScratch(workspace), "projection pack scratch", prepared ? 0 : (int)top.PackedProjectionLength, what);

        if (packed)
        {
            Add(regions, workspace, layout.PackedInput(workspace), "packed x", input, what);
            Add(regions, workspace, layout.PackedOutput(workspace), "packed y", output, what);
            if (training)
            {
                Add(regions, workspace, layout.PackedOutputGradient(workspace), "packed dy", output, what);
                Add(regions, workspace, layout.PackedInputGradient(workspace), "packed dx", input, what);
                Add(regions, workspace, layout.PreviousOutputs(workspace), "previous outputs", Steps * Batch * width, what);
            }

            for (int index = 0; index < 5; index++)
                Add(regions, workspace, layout.SortedState(workspace, index), $"sorted state {index}", Batch * Hidden, what);
            Span<int> packing = layout.Packing(workspace);
            Assert.Equal(PackedBatch.ScratchLength(Steps, Batch), packing.Length);
            regions.Add(new Region("packing", Offset(workspace, MemoryMarshal.Cast<int, float>(packing)), packing.Length));
        }

        AssertTiles(regions, layout.Length, what);
    }

    private readonly record struct Region(string Name, long Start, long Length);

    private static void Add(List<Region> regions, Span<float> workspace, Span<float> region, string name, long expectedLength, string what = "")
    {
        Assert.True(expectedLength == region.Length, $"{what} {name}: {region.Length} floats, documented {expectedLength}");
        regions.Add(new Region(name, region.IsEmpty ? 0 : Offset(workspace, region), region.Length));
    }

    /// <summary>The non-empty regions, in order, start where the one before ends, from 0 to <paramref name="length"/>.</summary>
    private static void AssertTiles(List<Region> regions, long length, string what)
    {
        long end = 0;
        string previous = "the start";
        foreach (Region region in regions.Where(r => r.Length > 0).OrderBy(r => r.Start))
        {
            Assert.True(region.Start == end, $"{what}: {region.Name} starts at {region.Start}, {previous} ends at {end}");
            (end, previous) = (region.Start + region.Length, region.Name);
        }

        Assert.True(end == length, $"{what}: the regions end at {end} ({previous}), the workspace at {length}");
    }

    private static long Offset(Span<float> workspace, Span<float> region) =>
        Unsafe.ByteOffset(ref MemoryMarshal.GetReference(workspace), ref MemoryMarshal.GetReference(region)) / sizeof(float);

    private static bool Same(Span<float> a, Span<float> b) => a.Length == b.Length && Unsafe.AreSame(ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b));
}
