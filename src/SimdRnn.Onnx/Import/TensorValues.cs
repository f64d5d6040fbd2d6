using System.Buffers.Binary;
using Google.Protobuf.Collections;
using SimdRnn.Onnx.Protobuf;

namespace SimdRnn.Onnx.Import;

/// <summary>A constant tensor's values as float32, with its dims checked against the data actually present.</summary>
internal sealed record TensorValues(long[] Dims, float[] Values)
{
    /// <summary>
    /// Reads <paramref name="tensor"/> (FLOAT, DOUBLE, FLOAT16 or BFLOAT16; raw_data or the typed field).
    /// <paramref name="what"/> names it in errors, e.g. "node 'lstm' (LSTM): input W 'w0'".
    /// </summary>
    public static TensorValues Read(TensorProto tensor, string what)
    {
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External || tensor.ExternalData.Count > 0)
            throw new NotSupportedException($"ONNX {what}: the tensor's data is in an external file; SimdRnn.Onnx reads models whose weights are inside the .onnx file.");
        long[] dims = [.. tensor.Dims];
        long count = 1;
        foreach (long d in dims)
        {
            if (d < 0)
                throw new InvalidDataException($"ONNX {what}: negative dimension in dims [{string.Join(", ", dims)}].");
            // d is checked before the product: both factors at most 2^31, so the product cannot overflow a long.
            if (d > Array.MaxLength || (count *= d) > Array.MaxLength)
                throw new InvalidDataException($"ONNX {what}: more elements than any file can hold (dims [{string.Join(", ", dims)}]).");
        }

        int n = (int)count;
        bool raw = tensor.HasRawData;
        float[] values = (TensorProto.Types.DataType)tensor.DataType switch
        {
            TensorProto.Types.DataType.Float => raw ? FromRaw(tensor, n, 4, what, static b => BinaryPrimitives.ReadSingleLittleEndian(b))
                : FromTyped(tensor.FloatData, tensor, n, what, static v => v),
            TensorProto.Types.DataType.Double => raw ? FromRaw(tensor, n, 8, what, static b => (float)BinaryPrimitives.ReadDoubleLittleEndian(b))
                : FromTyped(tensor.DoubleData, tensor, n, what, static v => (float)v),
            // FLOAT16 and BFLOAT16 keep their 16 bits in int32_data when not in raw_data (onnx.proto).
            TensorProto.Types.DataType.Float16 => raw ? FromRaw(tensor, n, 2, what, static b => (float)BinaryPrimitives.ReadHalfLittleEndian(b))
                : FromTyped(tensor.Int32Data, tensor, n, what, static v => (float)BitConverter.UInt16BitsToHalf((ushort)v)),
            TensorProto.Types.DataType.Bfloat16 => raw ? FromRaw(tensor, n, 2, what, static b => BFloat16(BinaryPrimitives.ReadUInt16LittleEndian(b)))
                : FromTyped(tensor.Int32Data, tensor, n, what, static v => BFloat16((ushort)v)),
            _ => throw new InvalidDataException($"ONNX {what}: data_type {tensor.DataType} is not a floating-point type (FLOAT, DOUBLE, FLOAT16 or BFLOAT16)."),
        };
        return new TensorValues(dims, values);
    }

    private static float BFloat16(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    private delegate float Decode(ReadOnlySpan<byte> bytes);

    private static float[] FromRaw(TensorProto tensor, int count, int size, string what, Decode decode)
    {
        ReadOnlySpan<byte> bytes = tensor.RawData.Span;
        if (tensor.FloatData.Count + tensor.DoubleData.Count + tensor.Int32Data.Count > 0)
            throw new InvalidDataException($"ONNX {what}: both raw_data and a typed data field are set.");
        if (bytes.Length != (long)count * size)
            throw new InvalidDataException($"ONNX {what}: raw_data holds {bytes.Length} bytes; dims [{string.Join(", ", tensor.Dims)}] need {(long)count * size}.");
        float[] values = new float[count];
        for (int k = 0; k < values.Length; k++)
            values[k] = decode(bytes.Slice(k * size, size));
        return values;
    }

    private static float[] FromTyped<T>(RepeatedField<T> field, TensorProto tensor, int count, string what, Func<T, float> convert)
    {
        if (field.Count != count)
            throw new InvalidDataException($"ONNX {what}: {field.Count} values; dims [{string.Join(", ", tensor.Dims)}] need {count}.");
        float[] values = new float[count];
        for (int k = 0; k < values.Length; k++)
            values[k] = convert(field[k]);
        return values;
    }
}
