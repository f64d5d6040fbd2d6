using System.Globalization;
using System.Text.RegularExpressions;
using SimdRnn.Layers;
using static SimdRnn.Serialization.SafetensorsErrors;

namespace SimdRnn.Serialization;

/// <summary>
/// The stack a PyTorch state_dict describes, from its names and shapes alone: the layers and directions from the names
/// (<c>weight_ih_l1_reverse</c>), H and the gate count G from <c>weight_hh_l0</c> (G*H x H; G = 4 LSTM, 3 GRU, 1 RNN)
/// and I from <c>weight_ih_l0</c> (G*H x I), biases or none from whether any <c>bias_</c> tensor is there (PyTorch's
/// <c>bias=False</c> saves none; a file with some but not all is reported as missing the others), and an LSTM's projection
/// from <c>weight_hr_l0</c> (P x H, PyTorch's <c>proj_size</c>): with it, H and P come from its shape and <c>weight_hh_l0</c>
/// must be 4H x P. A vanilla RNN's nonlinearity is not in the weights: the caller says it, or
/// the metadata <c>&lt;prefix&gt;cell</c> that <see cref="RecurrentParameters.WriteSafetensors"/> writes.
/// </summary>
internal static partial class RecurrentShapeInference
{
    /// <summary>The metadata key that records the cell kind of the stack under a prefix.</summary>
    public static string CellKey(string prefix) => prefix + "cell";

    /// <summary>
    /// The parameters the tensors under the prefix describe, zero-filled. Every expected tensor is checked against the
    /// file first, so the array allocated is no larger than the data the file holds.
    /// </summary>
    public static RecurrentParameters Create(SafetensorsHeader header, string prefix, CellKind? cell)
    {
        var layers = new HashSet<int>();
        bool bidirectional = false, any = false, bias = false;
        foreach (TensorEntry tensor in header.Tensors)
        {
            if (!tensor.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            any = true;
            Match match = StateDictName().Match(tensor.Name[prefix.Length..]);
            if (!match.Success) continue; // reported as extra by the match below
            layers.Add(int.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture));
            bidirectional |= match.Groups[2].Success;
            bias |= tensor.Name.AsSpan(prefix.Length).StartsWith("bias_", StringComparison.Ordinal);
        }

        if (!any)
            throw new InvalidDataException(header.Tensors.Count == 0 ? "The file has no tensors."
                : $"No tensor's name starts with {Quote(prefix)}; the file has {List([.. header.Tensors.Select(t => t.Name)])}.");
        (int gates, int hidden, int input, int projection) = Sizes(header, prefix);
        CellKind kind = ResolveCell(gates, cell, header.Metadata, prefix);
        // Layers counts the distinct indices: l0, l1, l3 expect l0..l2, so l2 is reported missing and l3 extra.
        int directions = bidirectional ? 2 : 1;
        string what = Describe(kind, input, hidden, layers.Count, directions, bias, projection);
        TensorMatch.ThrowIfNotExactly(header, prefix,
            RecurrentLayout.Tensors(gates, input, hidden, layers.Count, directions, bias, projection).Select(t => (prefix + t.Name, t.Shape)), what);
        try
        {
            return new RecurrentParameters(kind, input, hidden, layers.Count, bidirectional, bias, projection);
        }
        catch (ArgumentOutOfRangeException error)
        {
            throw new InvalidDataException($"The tensors under {Quote(prefix)} describe {what}, too large for one array.", error);
        }
    }

    public static string Describe(CellKind cell, long inputSize, long hiddenSize, int layers, int directions, bool bias, long projectionSize = 0) =>
        $"a {layers}-layer {(directions == 2 ? "bidirectional " : "")}{cell} with I={inputSize}, H={hiddenSize}" +
        $"{(projectionSize > 0 ? $", projection P={projectionSize}" : "")}{(bias ? "" : ", without biases")}";

    private static (int Gates, int Hidden, int Input, int Projection) Sizes(SafetensorsHeader header, string prefix)
    {
        string hhName = prefix + "weight_hh_l0", ihName = prefix + "weight_ih_l0", hrName = prefix + "weight_hr_l0";
        TensorEntry? hh = header.Find(hhName), ih = header.Find(ihName), hr = header.Find(hrName);
        long projection = 0, hidden;
        if (hr is not null)
        {
            // An LSTM projection: weight_hr is P x H with 0 < P < H, and weight_hh 4H x P.
            if (hr is not { Shape: [long p, long h] } || h is < 2 or > int.MaxValue || p < 1 || p >= h)
                throw new InvalidDataException($"Cannot tell the projection from {Quote(hrName)}: its shape is {Shape(hr.Shape)}; " +
                    "PyTorch's is [P, H] with 0 < P < H.");
            if (hh is not { Shape: [long rows, long width] } || rows != 4 * h || width != p)
                throw new InvalidDataException($"{Quote(hrName)} is {Shape(hr.Shape)}, an LSTM projection of H={h} to P={p}, so {Quote(hhName)} " +
                    $"must be [{4 * h}, {p}], but {(hh is null ? "the file has no such tensor" : $"its shape is {Shape(hh.Shape)}")}.");
            (projection, hidden) = (p, h);
        }
        else if (hh is not { Shape: [long gateRows, long columns] } || columns is < 1 or > int.MaxValue || gateRows % columns != 0 ||
                 gateRows / columns is not (1 or 3 or 4))
            throw new InvalidDataException($"Cannot tell the hidden size and the cell from {Quote(hhName)}: " +
                $"{(hh is null ? "the file has no such tensor" : $"its shape is {Shape(hh.Shape)}")}; PyTorch's is [G*H, H] with G = 4 (LSTM), 3 (GRU) or 1 (RNN).");
        else hidden = columns;
        if (ih is not { Shape: [_, long input] } || input is < 1 or > int.MaxValue)
            throw new InvalidDataException($"Cannot tell the input size from {Quote(ihName)}: " +
                $"{(ih is null ? "the file has no such tensor" : $"its shape is {Shape(ih.Shape)}")}; PyTorch's is [G*H, I].");
        return ((int)(hh!.Shape[0] / hidden), (int)hidden, (int)input, (int)projection);
    }

    /// <summary>The caller's cell if given (it must have the file's gate count), else the file's metadata, else the gate count.</summary>
    private static CellKind ResolveCell(int gates, CellKind? cell, IReadOnlyDictionary<string, string> metadata, string prefix)
    {
        string fromGates = gates switch { 4 => "an LSTM (4 gates)", 3 => "a GRU (3 gates)", _ => "a vanilla RNN (1 gate)" };
        if (cell is { } given)
            return given.GateCount() == gates ? given
                : throw new InvalidDataException($"The tensors under {Quote(prefix)} are {fromGates}, not {given}.");
        string key = CellKey(prefix);
        if (metadata.TryGetValue(key, out string? recorded))
        {
            CellKind? named = Enum.GetValues<CellKind>().Select(k => (CellKind?)k).FirstOrDefault(k => string.Equals(k.ToString(), recorded, StringComparison.OrdinalIgnoreCase));
            if (named is not { } kind || kind.GateCount() != gates)
                throw new InvalidDataException($"The metadata {Quote(key)} says {Quote(recorded)}, but the tensors under {Quote(prefix)} are {fromGates}.");
            return kind;
        }

        return gates switch
        {
            4 => CellKind.Lstm,
            3 => CellKind.Gru,
            _ => throw new InvalidDataException($"The tensors under {Quote(prefix)} are a vanilla RNN, and tanh or relu cannot be told from " +
                $"the weights: pass the cell (RnnTanh or RnnRelu), or write the file with WriteSafetensors, which records it as the metadata {Quote(key)}."),
        };
    }

    [GeneratedRegex("^(?:(?:weight|bias)_(?:ih|hh)|weight_hr)_l(0|[1-9][0-9]{0,8})(_reverse)?$", RegexOptions.CultureInvariant)]
    private static partial Regex StateDictName();
}
