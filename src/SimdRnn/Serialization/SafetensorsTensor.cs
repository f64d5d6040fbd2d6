namespace SimdRnn;

/// <summary>
/// A float32 tensor by name and row-major shape, over the memory that holds its values: what
/// <see cref="SafetensorsWriter.Write"/> writes, and where <see cref="SafetensorsReader.Read"/> puts what it reads.
/// </summary>
public sealed class SafetensorsTensor
{
    /// <summary>A tensor over <paramref name="values"/> (not copied).</summary>
    /// <param name="name">The tensor's name in the file, e.g. PyTorch's state_dict key <c>fc.weight</c>.</param>
    /// <param name="shape">The dimensions, outermost first (empty for a scalar).</param>
    /// <param name="values">The values, row-major: exactly as many as the shape holds.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="values"/> has another length than the shape holds.</exception>
    public SafetensorsTensor(string name, ReadOnlySpan<int> shape, Memory<float> values)
    {
        ArgumentNullException.ThrowIfNull(name);
        long count = 1;
        foreach (int dimension in shape)
        {
            if (dimension < 0) ThrowHelper.ThrowOutOfRange(nameof(shape), dimension, $"Tensor '{name}' has a negative dimension.");
            count = Math.Min(count * dimension, int.MaxValue + 1L); // saturates past any length; a later 0 still gives 0
        }

        if (count != values.Length)
            ThrowHelper.ThrowArgument(nameof(values), $"Tensor '{name}' has shape [{string.Join(", ", shape.ToArray())}] but {values.Length} values.");
        Name = name;
        Shape = Array.AsReadOnly(shape.ToArray());
        Values = values;
    }

    /// <summary>The name in the file.</summary>
    public string Name { get; }

    /// <summary>The dimensions, outermost first.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>The values, row-major.</summary>
    public Memory<float> Values { get; }

    internal long[] LongShape => [.. Shape.Select(d => (long)d)];
}
