using SimdRnn.Execution;
using SimdRnn.Sgemm;

namespace SimdRnn;

/// <summary>A fully connected layer, y = x W^T + b, in PyTorch's nn.Linear layout (W is out x in).</summary>
public static class Linear
{
    /// <summary>y (rows x out) = x (rows x in) W^T + b.</summary>
    /// <param name="rows">Rows of x and y (the batch).</param>
    /// <param name="inputs">Columns of x (in).</param>
    /// <param name="outputs">Columns of y (out).</param>
    /// <param name="x">rows x in.</param>
    /// <param name="weight">W, out x in.</param>
    /// <param name="bias">b, out.</param>
    /// <param name="y">Receives rows x out.</param>
    /// <param name="maxDegreeOfParallelism">Most threads to use; -1 for all processors. Results are bitwise the same for any value.</param>
    /// <exception cref="ArgumentOutOfRangeException">rows, inputs or outputs is below 1, or the thread count is 0 or below -1.</exception>
    /// <exception cref="ArgumentException">A span length does not match rows, in and out, or y shares memory with an input.</exception>
    public static void Forward(int rows, int inputs, int outputs, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> y, int maxDegreeOfParallelism = -1) =>
        Forward(Cpu.Path, rows, inputs, outputs, x, weight, bias, y, maxDegreeOfParallelism);

    /// <summary>Forward on <paramref name="path"/> (tests run every path through it).</summary>
    internal static void Forward(SimdPath path, int rows, int inputs, int outputs, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> y, int maxDegreeOfParallelism)
    {
        Validate(rows, inputs, outputs, x, weight, bias, nameof(bias), y, nameof(y));
        Parallelism.ThrowIfInvalidBudget(maxDegreeOfParallelism, nameof(maxDegreeOfParallelism));
        ThrowHelper.ThrowIfOverlapping(y, nameof(y), x, nameof(x));
        ThrowHelper.ThrowIfOverlapping(y, nameof(y), weight, nameof(weight));
        ThrowHelper.ThrowIfOverlapping(y, nameof(y), bias, nameof(bias));
        for (int r = 0; r < rows; r++) bias.CopyTo(y.Slice(r * outputs, outputs));
        GemmKernel.Multiply(KernelContext.Create(maxDegreeOfParallelism, path), MatrixOp.None, MatrixOp.Transpose, rows, outputs, inputs, 1f,
            x, inputs, weight, inputs, 1f, y, outputs);
    }

    /// <summary>dx = dy W (written); dW += dy^T x and db += column sums of dy (added).</summary>
    /// <param name="rows">Rows of x and dy (the batch).</param>
    /// <param name="inputs">Columns of x (in).</param>
    /// <param name="outputs">Columns of dy (out).</param>
    /// <param name="x">The forward's input, rows x in.</param>
    /// <param name="weight">W, out x in.</param>
    /// <param name="dy">dL/dy, rows x out.</param>
    /// <param name="dx">Receives dL/dx, rows x in.</param>
    /// <param name="weightGradient">dL/dW is ADDED to it (out x in).</param>
    /// <param name="biasGradient">dL/db is ADDED to it (out).</param>
    /// <param name="maxDegreeOfParallelism">Most threads to use; -1 for all processors. Results are bitwise the same for any value.</param>
    /// <exception cref="ArgumentOutOfRangeException">rows, inputs or outputs is below 1, or the thread count is 0 or below -1.</exception>
    /// <exception cref="ArgumentException">A span length does not match rows, in and out, or an output (dx, weightGradient,
    /// biasGradient) shares memory with an input or another output.</exception>
    public static void Backward(int rows, int inputs, int outputs, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> dy, Span<float> dx, Span<float> weightGradient, Span<float> biasGradient, int maxDegreeOfParallelism = -1) =>
        Backward(Cpu.Path, rows, inputs, outputs, x, weight, dy, dx, weightGradient, biasGradient, maxDegreeOfParallelism);

    /// <summary>Backward on <paramref name="path"/> (tests run every path through it).</summary>
    internal static void Backward(SimdPath path, int rows, int inputs, int outputs, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> dy, Span<float> dx, Span<float> weightGradient, Span<float> biasGradient, int maxDegreeOfParallelism)
    {
        Validate(rows, inputs, outputs, x, weight, biasGradient, nameof(biasGradient), dy, nameof(dy));
        Parallelism.ThrowIfInvalidBudget(maxDegreeOfParallelism, nameof(maxDegreeOfParallelism));
        Expect(dx.Length, (long)rows * inputs, nameof(dx));
        Expect(weightGradient.Length, (long)outputs * inputs, nameof(weightGradient));
        ThrowIfOverlapsInputs(dx, nameof(dx), x, weight, dy);
        ThrowIfOverlapsInputs(weightGradient, nameof(weightGradient), x, weight, dy);
        ThrowIfOverlapsInputs(biasGradient, nameof(biasGradient), x, weight, dy);
        ThrowHelper.ThrowIfOverlapping(weightGradient, nameof(weightGradient), dx, nameof(dx));
        ThrowHelper.ThrowIfOverlapping(biasGradient, nameof(biasGradient), dx, nameof(dx));
        ThrowHelper.ThrowIfOverlapping(biasGradient, nameof(biasGradient), weightGradient, nameof(weightGradient));
        var context = KernelContext.Create(maxDegreeOfParallelism, path);
        GemmKernel.Multiply(context, MatrixOp.None, MatrixOp.None, rows, inputs, outputs, 1f, dy, outputs, weight, inputs, 0f, dx, inputs);
        GemmKernel.Multiply(context, MatrixOp.Transpose, MatrixOp.None, outputs, inputs, rows, 1f, dy, outputs, x, inputs, 1f, weightGradient, inputs);
        ColumnSums.AddTo(context, dy, rows, outputs, biasGradient);
    }

    private static void Validate(int rows, int inputs, int outputs, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, string biasName, ReadOnlySpan<float> y, string yName)
    {
        if (rows < 1) ThrowHelper.ThrowOutOfRange(nameof(rows), rows, "There must be at least one row.");
        if (inputs < 1) ThrowHelper.ThrowOutOfRange(nameof(inputs), inputs, "There must be at least one input.");
        if (outputs < 1) ThrowHelper.ThrowOutOfRange(nameof(outputs), outputs, "There must be at least one output.");
        Expect(x.Length, (long)rows * inputs, nameof(x));
        Expect(weight.Length, (long)outputs * inputs, nameof(weight));
        Expect(bias.Length, outputs, biasName);
        Expect(y.Length, (long)rows * outputs, yName);
    }

    private static void ThrowIfOverlapsInputs(ReadOnlySpan<float> output, string name, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> dy)
    {
        ThrowHelper.ThrowIfOverlapping(output, name, x, nameof(x));
        ThrowHelper.ThrowIfOverlapping(output, name, weight, nameof(weight));
        ThrowHelper.ThrowIfOverlapping(output, name, dy, nameof(dy));
    }

    private static void Expect(int length, long expected, string name)
    {
        if (length != expected) ThrowHelper.ThrowArgument(name, $"{name} has length {length} but must have {expected}.");
    }
}
