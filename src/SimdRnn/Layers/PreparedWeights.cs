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
    // Per (layer, direction): W_ih^T (I x G*H), W_hh^T (H x G*H) and, for training, W_hh (G*H x H), each packed into a
    // pinned array (the packed panels start at a cache line, at an offset fixed by the array's address). A GRU that
    // resets before the recurrent product packs W_hh as two matrices, its first 2H rows and W_hn: W_ih^T, W_hrz^T,
    // W_hn^T, then for training W_hrz and W_hn. An LSTM with a projection has W_hh^T S x G*H (S = P) and W_hr^T (H x P)
    // and W_hr (P x H, training) in the slots W_hn^T and W_hn take (a cell has one or the other, never both).
    private readonly PackedBuffer[] _buffers;
    private readonly int _perDirection;
    private readonly int _gateWidth, _mergedWidth;
    private readonly bool _candidateApart, _projection;
    private readonly int _threads;

    internal PreparedWeights(RecurrentStack stack, RecurrentParameters parameters, bool training, WeightFormat format)
    {
        Parameters = parameters;
        Training = training;
        Format = format;
        LinearBeforeReset = stack.LinearBeforeReset;
        PanelFormat panels = PanelFormat;
        Path = stack.Path;
        _threads = stack.MaxDegreeOfParallelism;
        _gateWidth = stack.CellTraits.GateCount * parameters.HiddenSize;
        _mergedWidth = stack.CellTraits.MergedGateCount * parameters.HiddenSize;
        _candidateApart = stack.CellTraits.ResetsBeforeRecurrentProduct;
        _projection = parameters.ProjectionSize > 0;
        _perDirection = (training ? 3 : 2) + (_candidateApart || _projection ? training ? 2 : 1 : 0);
        _buffers = new PackedBuffer[parameters.Layers * parameters.Directions * _perDirection];
        for (int layer = 0; layer < parameters.Layers; layer++)
            for (int direction = 0; direction < parameters.Directions; direction++)
            {
                int index = (layer * parameters.Directions + direction) * _perDirection;
                int input = parameters.LayerInputSize(layer), hidden = parameters.HiddenSize, state = parameters.StateSize, p = parameters.ProjectionSize;
                _buffers[index] = new PackedBuffer(input, _gateWidth, panels);
                _buffers[index + 1] = new PackedBuffer(state, _mergedWidth, panels);
                if (training) _buffers[index + 2] = new PackedBuffer(_mergedWidth, state, panels);
                if (_candidateApart) _buffers[CandidateTransposedSlot(index)] = new PackedBuffer(hidden, hidden, panels);
                if (_candidateApart && training) _buffers[CandidateSlot(index)] = new PackedBuffer(hidden, hidden, panels);
                if (_projection) _buffers[CandidateTransposedSlot(index)] = new PackedBuffer(hidden, p, panels);
                if (_projection && training) _buffers[CandidateSlot(index)] = new PackedBuffer(p, hidden, panels);
            }

        Refresh();
    }

    // W_hn^T (or W_hr^T) after the slots the other cells have; W_hn (or W_hr) after it.
    private int CandidateTransposedSlot(int index) => index + (Training ? 3 : 2);

    private int CandidateSlot(int index) => index + 4;

    /// <summary>The parameters these were prepared from (and are refreshed from).</summary>
    public RecurrentParameters Parameters { get; }

    /// <summary>Whether <see cref="RecurrentStack.Backward(int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, PreparedWeights, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float}, RecurrentParameters, Span{float}, ReadOnlySpan{int})"/>
    /// can use them (they then hold W_hh packed for the backward steps too).</summary>
    public bool Training { get; }

    /// <summary>How the weight matrices are stored (see <see cref="WeightFormat"/>).</summary>
    public WeightFormat Format { get; }

    /// <summary>The preparing stack's <see cref="RecurrentStack.LinearBeforeReset"/> (it decides how W_hh is packed).</summary>
    internal bool LinearBeforeReset { get; }

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
                int input = Parameters.LayerInputSize(layer), hidden = Parameters.HiddenSize, state = Parameters.StateSize;
                _buffers[index].Pack(context, MatrixOp.Transpose, input, _gateWidth, tensors.InputWeights, input);
                _buffers[index + 1].Pack(context, MatrixOp.Transpose, state, _mergedWidth, tensors.RecurrentWeights, state);
                if (Training) _buffers[index + 2].Pack(context, MatrixOp.None, _mergedWidth, state, tensors.RecurrentWeights, state);
                if (_projection)
                {
                    int p = Parameters.ProjectionSize;
                    _buffers[CandidateTransposedSlot(index)].Pack(context, MatrixOp.Transpose, hidden, p, tensors.ProjectionWeights, hidden);
                    if (Training) _buffers[CandidateSlot(index)].Pack(context, MatrixOp.None, p, hidden, tensors.ProjectionWeights, hidden);
                }

                if (!_candidateApart) continue;
                ReadOnlySpan<float> candidate = tensors.RecurrentWeights[(_mergedWidth * hidden)..];
                _buffers[CandidateTransposedSlot(index)].Pack(context, MatrixOp.Transpose, hidden, hidden, candidate, hidden);
                if (Training) _buffers[CandidateSlot(index)].Pack(context, MatrixOp.None, hidden, hidden, candidate, hidden);
            }
    }

    /// <summary>The tensors of one direction with their packed forms.</summary>
    internal DirectionWeights Direction(int layer, int direction)
    {
        int index = (layer * Parameters.Directions + direction) * _perDirection;
        return new DirectionWeights(Parameters.Direction(layer, direction))
        {
            PackedFormat = PanelFormat,
            PackedInputTransposed = _buffers[index].Panels,
            PackedRecurrentTransposed = _buffers[index + 1].Panels,
            PackedRecurrent = Training ? _buffers[index + 2].Panels : default,
            PackedCandidateTransposed = _candidateApart ? _buffers[CandidateTransposedSlot(index)].Panels : default,
            PackedCandidate = _candidateApart && Training ? _buffers[CandidateSlot(index)].Panels : default,
            PackedProjectionTransposed = _projection ? _buffers[CandidateTransposedSlot(index)].Panels : default,
            PackedProjection = _projection && Training ? _buffers[CandidateSlot(index)].Panels : default,
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
