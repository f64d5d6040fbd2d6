namespace SimdRnn.Serialization;

/// <summary>
/// A safetensors dtype: its name in the header and its element size. Every dtype of the format with a whole-byte size is
/// known, so that a file's other tensors (e.g. an I64 step counter) can be checked and skipped; only F32, F16 and BF16
/// convert to float32.
/// </summary>
internal sealed record DataType(string Name, int Size)
{
    public static readonly DataType F32 = new("F32", 4), F16 = new("F16", 2), BF16 = new("BF16", 2);

    private static readonly Dictionary<string, DataType> ByName = new DataType[]
    {
        F32, F16, BF16, new("F64", 8), new("I64", 8), new("U64", 8), new("I32", 4), new("U32", 4), new("I16", 2), new("U16", 2),
        new("I8", 1), new("U8", 1), new("BOOL", 1), new("F8_E5M2", 1), new("F8_E4M3", 1), new("F8_E8M0", 1), new("C64", 8),
    }.ToDictionary(type => type.Name, StringComparer.Ordinal);

    public bool ConvertsToSingle => this == F32 || this == F16 || this == BF16;

    public static bool TryParse(string name, out DataType type) => ByName.TryGetValue(name, out type!);
}
