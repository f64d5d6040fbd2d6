using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SimdRnn.Execution;
using SimdRnn.Layers;
using SimdRnn.Sgemm;

namespace SimdRnn;

/// <summary>
/// A <see cref="RecurrentStack"/>'s weights packed once into the kernels' panel layout, so that calls with them pack
/// nothing: W_ih^T and W_hh^T of every layer and direction, and W_hh as well when prepared for training; with an LSTM
/// projection also W_hr^T (and W_hr for training). Made by
/// <see cref="RecurrentStack.Prepare"/>; pass it to <see cref="RecurrentStack.Forward(int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, PreparedWeights, Span{float}, Span{float}, Span{float}, Span{float}, bool, ReadOnlySpan{int}, ulong)"/>
/// and <see cref="RecurrentStack.Backward(int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, PreparedWeights, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float}, RecurrentParameters, Span{float}, ReadOnlySpan{int})"/>.
/// </summary>
/// <remarks>
/// Results are bitwise the same as with the <see cref="RecurrentParameters"/> it was prepared from. It holds packed
/// copies of the weight matrices and reads the rest (the biases; W_ih in backward) from <see cref="Parameters"/> at each
/// call, so after changing the parameters (an optimizer step) call <see cref="Refresh"/> before the next call: it
/// packs into the same memory and allocates nothing. Between refreshes it is read-only, so any number of threads and
/// calls may share it; refreshing while another thread computes with it is the caller's race.
/// </remarks>
public sealed class PreparedWeights
{
    // Per (layer, direction): W_ih^T (I x G*H), W_hh^T (S x G*H) and, for training, W_hh (G*H x S); with a projection
    // then W_hr^T (H x P) and, for training, W_hr (P x H); each packed into a pinned array (the packed panels start at a
    // cache line, at an offset fixed by the array's address).
    private readonly PackedBuffer[] _buffers;
    private readonly int _perDirection, _recurrentPerDirection;
    private readonly int _gateWidth;
    private readonly int _threads;

    internal PreparedWeights(RecurrentStack stack, RecurrentParameters parameters, bool training, WeightFormat format)
    {
        Parameters = parameters;
        Training = training;
        Format = format;
        PanelFormat panels = PanelFormat;
        Path = stack.Path;
        _threads = stack.MaxDegreeOfParallelism;
        _gateWidth = parameters.Cell.GateCount() * parameters.HiddenSize;
        _recurrentPerDirection = training ? 3 : 2;
        _perDirection = _recurrentPerDirection + (parameters.ProjectionSize > 0 ? _recurrentPerDirection - 1 : 0);
        _buffers = new PackedBuffer[parameters.Layers * parameters.Directions * _perDirection];
        for (int layer = 0; layer < parameters.Layers; layer++)
            for (int direction = 0; direction < parameters.Directions; direction++)
            {
                int index = (layer * parameters.Directions + direction) * _perDirection;
                int input = parameters.LayerInputSize(layer), state = parameters.StateSize;
                _buffers[index] = new PackedBuffer(input, _gateWidth, panels);
                _buffers[index + 1] = new PackedBuffer(state, _gateWidth, panels);
                if (training) _buffers[index + 2] = new PackedBuffer(_gateWidth, state, panels);
                if (parameters.ProjectionSize == 0) continue;
                int projection = index + _recurrentPerDirection;
                _buffers[projection] = new PackedBuffer(parameters.HiddenSize, parameters.ProjectionSize, panels);
                if (training) _buffers[projection + 1] = new PackedBuffer(parameters.ProjectionSize, parameters.HiddenSize, panels);
            }

        Refresh();
    }

    /// <summary>The parameters these were prepared from (and are refreshed from).</summary>
    public RecurrentParameters Parameters { get; }

    /// <summary>Whether <see cref="RecurrentStack.Backward(int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, PreparedWeights, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float}, RecurrentParameters, Span{float}, ReadOnlySpan{int})"/>
    /// can use them (they then hold W_hh packed for the backward steps too).</summary>
    public bool Training { get; }

    /// <summary>How the weight matrices are stored (see <see cref="WeightFormat"/>).</summary>
    public WeightFormat Format { get; }

    /// <summary>The path whose panel layout these hold (the preparing stack's).</summary>
    internal SimdPath Path { get; }

    private PanelFormat PanelFormat => Format == WeightFormat.BFloat16 ? PanelFormat.BFloat16 : PanelFormat.Float32;

    /// <summary>Packs <see cref="Parameters"/> again, into the same memory: call it after the parameters changed.</summary>
    public void Refresh()
    {
        var context = KernelContext.Create(_threads, Path);
        for (int layer = 0; layer < Parameters.Layers; layer++)
            for (int direction = 0; direction < Parameters.Directions; direction++)
            {
                int index = (layer * Parameters.Directions + direction) * _perDirection;
                DirectionTensors tensors = Parameters.Direction(layer, direction);
                int input = Parameters.LayerInputSize(layer), state = Parameters.StateSize;
                _buffers[index].Pack(context, MatrixOp.Transpose, input, _gateWidth, tensors.InputWeights, input);
                _buffers[index + 1].Pack(context, MatrixOp.Transpose, state, _gateWidth, tensors.RecurrentWeights, state);
                if (Training) _buffers[index + 2].Pack(context, MatrixOp.None, _gateWidth, state, tensors.RecurrentWeights, state);
                if (Parameters.ProjectionSize == 0) continue;
                int projection = index + _recurrentPerDirection, hidden = Parameters.HiddenSize, p = Parameters.ProjectionSize;
                _buffers[projection].Pack(context, MatrixOp.Transpose, hidden, p, tensors.ProjectionWeights, hidden);
                if (Training) _buffers[projection + 1].Pack(context, MatrixOp.None, p, hidden, tensors.ProjectionWeights, hidden);
            }
    }

    /// <summary>The tensors of one direction with their packed forms.</summary>
    internal DirectionWeights Direction(int layer, int direction)
    {
        int index = (layer * Parameters.Directions + direction) * _perDirection, projection = index + _recurrentPerDirection;
        bool projects = Parameters.ProjectionSize > 0;
        return new DirectionWeights(Parameters.Direction(layer, direction))
        {
            PackedFormat = PanelFormat,
            PackedInputTransposed = _buffers[index].Panels,
            PackedRecurrentTransposed = _buffers[index + 1].Panels,
            PackedRecurrent = Training ? _buffers[index + 2].Panels : default,
            PackedProjectionTransposed = projects ? _buffers[projection].Panels : default,
            PackedProjection = projects && Training ? _buffers[projection + 1].Panels : default,
        };
    }

    private sealed class PackedBuffer(int k, int n, PanelFormat format)
    {
        private readonly float[] _storage = GC.AllocateArray<float>(checked((int)PackedMatrix.BufferLength(k, n, format)), pinned: true);
        private int _offset, _length;

        public ReadOnlySpan<float> Panels => _storage.AsSpan(_offset, _length);

        public void Pack(in KernelContext context, MatrixOp op, int rows, int columns, ReadOnlySpan<float> source, int ld)
        {
            Span<float> panels = PackedMatrix.PackInto(context, op, rows, columns, source, ld, _storage, format);
            _length = panels.Length;
            // The panels start where the pinned array's first cache line does; the offset never changes.
            _offset = (int)(Unsafe.ByteOffset(ref _storage[0], ref MemoryMarshal.GetReference(panels)) / sizeof(float));
        }
    }
}
