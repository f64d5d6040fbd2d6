using SimdRnn.Activations;
using SimdRnn.Cells;

namespace SimdRnn.Layers;

/// <summary>The one place that maps a public <see cref="CellKind"/> to its cell type (as WidthDispatch maps a path to a width).</summary>
internal static class CellKinds
{
    /// <summary>The step loops of <paramref name="cell"/>'s cell type (the GRU's per <paramref name="linearBeforeReset"/>).</summary>
    public static IDirectionLayer Layer(this CellKind cell, bool linearBeforeReset = true) => cell switch
    {
        CellKind.Lstm => DirectionLayer<LstmCell>.Instance,
        CellKind.Gru when linearBeforeReset => DirectionLayer<GruCell>.Instance,
        CellKind.Gru => DirectionLayer<GruResetFirstCell>.Instance,
        CellKind.RnnTanh => DirectionLayer<RnnCell<TanhOperator>>.Instance,
        CellKind.RnnRelu => DirectionLayer<RnnCell<ReluOperator>>.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(cell), cell, "The cell must be a defined CellKind."),
    };

    public static bool IsDefined(CellKind cell) => cell is CellKind.Lstm or CellKind.Gru or CellKind.RnnTanh or CellKind.RnnRelu;

    public static int GateCount(this CellKind cell) => cell.Layer().Cell.GateCount;
}
