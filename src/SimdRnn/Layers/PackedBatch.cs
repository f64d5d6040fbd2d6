namespace SimdRnn.Layers;

/// <summary>
/// A batch of variable-length sequences in PyTorch's packed layout: the rows sorted by length, longest first (stable),
/// and time t holding the n_t rows still running (n_t non-increasing) as rows [offsets[t], offsets[t + 1]) of the
/// packed tensors, steps one after another. The layers run on this layout, so padded steps cost nothing: one input
/// projection over the sum of the lengths, and at each step a prefix of the sorted batch. This type moves tensors
/// between the caller's padded time-major layout and the packed one, and states between batch order and sorted order.
/// </summary>
internal readonly ref struct PackedBatch
{
    private readonly int _batch;
    private readonly bool _batchFirst;

    /// <summary>
    /// Sorts the rows by <paramref name="lengths"/> (validated) into <paramref name="scratch"/> (<see cref="ScratchLength"/>
    /// ints); the caller's tensors are T x N x width, or N x T x width with <paramref name="batchFirst"/>.
    /// </summary>
    public PackedBatch(ReadOnlySpan<int> lengths, int steps, Span<int> scratch, bool batchFirst)
    {
        int batch = lengths.Length;
        (_batch, _batchFirst) = (batch, batchFirst);
        Span<int> order = scratch[..batch], offsets = scratch.Slice(batch, steps + 1), cursor = scratch.Slice(batch + steps + 1, steps + 1);
        // A counting sort: cursor[t] ends as n_t, the rows longer than t, which is also where the rows of length t start.
        cursor.Clear();
        foreach (int length in lengths) cursor[length]++;
        for (int t = steps, longer = 0; t >= 0; t--)
        {
            int ofLengthT = cursor[t];
            cursor[t] = longer;
            longer += ofLengthT;
        }

        offsets[0] = 0;
        for (int t = 0; t < steps; t++) offsets[t + 1] = offsets[t] + cursor[t];
        for (int row = 0; row < batch; row++) order[cursor[lengths[row]]++] = row;
        Order = order;
        StepOffsets = offsets;
    }

    public static int ScratchLength(int steps, int batch) => batch + 2 * (steps + 1);

    /// <summary>The batch row at each sorted position.</summary>
    public ReadOnlySpan<int> Order { get; }

    /// <summary>T + 1 entries: time t is packed rows [StepOffsets[t], StepOffsets[t + 1]).</summary>
    public ReadOnlySpan<int> StepOffsets { get; }

    private int Steps => StepOffsets.Length - 1;

    /// <summary>Packs the caller's rows of <paramref name="width"/> floats, reading only the valid ones.</summary>
    public void Gather(ReadOnlySpan<float> padded, int width, Span<float> packed)
    {
        for (int t = 0; t < Steps; t++)
            for (int i = 0, first = StepOffsets[t], count = StepOffsets[t + 1] - first; i < count; i++)
                padded.Slice(PaddedRow(t, Order[i]) * width, width).CopyTo(packed.Slice((first + i) * width, width));
    }

    /// <summary>Unpacks into the caller's rows of <paramref name="width"/> floats, writing zeros at the padded positions.</summary>
    public void Scatter(ReadOnlySpan<float> packed, int width, Span<float> padded)
    {
        for (int t = 0; t < Steps; t++)
        {
            int first = StepOffsets[t], count = StepOffsets[t + 1] - first;
            for (int i = 0; i < _batch; i++)
            {
                Span<float> row = padded.Slice(PaddedRow(t, Order[i]) * width, width);
                if (i < count) packed.Slice((first + i) * width, width).CopyTo(row);
                else row.Clear();
            }
        }
    }

    private int PaddedRow(int time, int row) => _batchFirst ? row * Steps + time : time * _batch + row;

    /// <summary>N x H states from batch order into sorted order; returns <paramref name="sorted"/>.</summary>
    public Span<float> SortStates(ReadOnlySpan<float> states, int hidden, Span<float> sorted)
    {
        for (int i = 0; i < _batch; i++) states.Slice(Order[i] * hidden, hidden).CopyTo(sorted.Slice(i * hidden, hidden));
        return sorted;
    }

    /// <summary>N x H states from sorted order back into batch order.</summary>
    public void UnsortStates(ReadOnlySpan<float> sorted, int hidden, Span<float> states)
    {
        for (int i = 0; i < _batch; i++) sorted.Slice(i * hidden, hidden).CopyTo(states.Slice(Order[i] * hidden, hidden));
    }

    /// <summary>Throws unless <paramref name="lengths"/> is empty (dense) or has one length per row, each in [1, T].</summary>
    public static void Validate(ReadOnlySpan<int> lengths, int steps, int batch, string name)
    {
        if (lengths.IsEmpty) return;
        if (lengths.Length != batch)
            ThrowHelper.ThrowArgument(name, $"{name} has {lengths.Length} entries but the batch has N={batch} rows (one length per row, or none).");
        for (int row = 0; row < lengths.Length; row++)
            if (lengths[row] < 1 || lengths[row] > steps)
                ThrowHelper.ThrowOutOfRange(name, lengths[row],
                    $"{name}[{row}] is {lengths[row]}, but every length must be in [1, T={steps}].");
    }

    /// <summary>Whether validated <paramref name="lengths"/> ask for no packing: none given, or every row T steps long.</summary>
    public static bool IsDense(ReadOnlySpan<int> lengths, int steps)
    {
        foreach (int length in lengths)
            if (length != steps) return false;
        return true;
    }
}
