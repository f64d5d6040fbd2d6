using System.Buffers;
using System.ComponentModel;
using System.Runtime.InteropServices;

namespace SimdRnn.Tests.Support;

/// <summary>Which end of a <see cref="GuardPageMemory{T}"/> touches the inaccessible page.</summary>
public enum GuardSide
{
    /// <summary>The byte after the last element is the first byte of a PROT_NONE page.</summary>
    After,

    /// <summary>The byte before the first element is the last byte of a PROT_NONE page.</summary>
    Before,
}

/// <summary>
/// A buffer of exactly <see cref="Length"/> elements in anonymous mmap memory, with a PROT_NONE page right after its
/// end or right before its start: a kernel that reads or writes one element outside it gets SIGSEGV, which .NET turns
/// into an uncatchable AccessViolationException, so the test process dies instead of passing silently.
/// A <see cref="MemoryManager{T}"/>, so that APIs taking <see cref="Memory{T}"/> can get one too. Linux only (x64, arm64).
/// </summary>
public sealed unsafe class GuardPageMemory<T> : MemoryManager<T> where T : unmanaged
{
    private readonly nint _mapping;
    private readonly nuint _mappingBytes;
    private readonly T* _start;
    private bool _unmapped;

    public GuardPageMemory(int length, GuardSide side)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        nuint page = (nuint)Environment.SystemPageSize;
        nuint bytes = (nuint)length * (nuint)sizeof(T);
        nuint dataPages = (bytes + page - 1) / page;
        _mappingBytes = (dataPages + 1) * page;
        _mapping = LinuxMemory.MapReadWrite(_mappingBytes);
        nint guardPage = side == GuardSide.After ? _mapping + (nint)(dataPages * page) : _mapping;
        LinuxMemory.MakeInaccessible(guardPage, page);
        _start = side == GuardSide.After ? (T*)(guardPage - (nint)bytes) : (T*)(guardPage + (nint)page);
        Length = length;
        Side = side;
        GuardPage = guardPage;
    }

    public static GuardPageMemory<T> CopyOf(ReadOnlySpan<T> contents, GuardSide side)
    {
        var memory = new GuardPageMemory<T>(contents.Length, side);
        contents.CopyTo(memory.GetSpan());
        return memory;
    }

    public int Length { get; }
    public GuardSide Side { get; }

    /// <summary>The start of the inaccessible page (for the self-tests).</summary>
    public nint GuardPage { get; }

    /// <summary>The first element (for the self-tests, which must step outside the span on purpose).</summary>
    public T* Start => _start;

    public override Span<T> GetSpan()
    {
        ObjectDisposedException.ThrowIf(_unmapped, this);
        return new Span<T>(_start, Length);
    }

    // mmap memory never moves: pinning is free.
    public override MemoryHandle Pin(int elementIndex = 0) => new(_start + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (_unmapped) return;
        _unmapped = true;
        LinuxMemory.Unmap(_mapping, _mappingBytes);
    }
}

/// <summary>Hands out guarded copies and zero buffers on one side, each in its own mapping, and unmaps them all at the end.</summary>
public sealed class GuardPageScope(GuardSide side) : IDisposable
{
    private readonly List<IDisposable> _buffers = [];

    public GuardSide Side => side;

    public Span<T> CopyOf<T>(ReadOnlySpan<T> contents) where T : unmanaged => Own(GuardPageMemory<T>.CopyOf(contents, side)).GetSpan();

    public Span<float> Zeros(int length) => Own(new GuardPageMemory<float>(length, side)).GetSpan();

    /// <summary>A guarded copy as <see cref="Memory{T}"/> (for the APIs that take a list of gradients).</summary>
    public Memory<float> MemoryCopyOf(ReadOnlySpan<float> contents) => Own(GuardPageMemory<float>.CopyOf(contents, side)).Memory;

    public void Dispose()
    {
        foreach (IDisposable buffer in _buffers) buffer.Dispose();
        _buffers.Clear();
    }

    private GuardPageMemory<T> Own<T>(GuardPageMemory<T> buffer) where T : unmanaged
    {
        _buffers.Add(buffer);
        return buffer;
    }
}

/// <summary>The libc calls behind <see cref="GuardPageMemory{T}"/> (the same constants on linux-x64 and linux-arm64).</summary>
internal static partial class LinuxMemory
{
    private const int ProtNone = 0, ProtRead = 1, ProtWrite = 2;
    private const int MapPrivate = 0x02, MapAnonymous = 0x20;
    public const int Efault = 14;

    public static nint MapReadWrite(nuint bytes)
    {
        nint address = mmap(0, bytes, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (address == -1) throw LastError("mmap");
        return address;
    }

    public static void MakeInaccessible(nint address, nuint bytes)
    {
        if (mprotect(address, bytes, ProtNone) != 0) throw LastError("mprotect");
    }

    public static void Unmap(nint address, nuint bytes)
    {
        if (munmap(address, bytes) != 0) throw LastError("munmap");
    }

    /// <summary>
    /// Asks the kernel to copy <paramref name="bytes"/> bytes from <paramref name="address"/> into a pipe: 0 when it could,
    /// else the errno (EFAULT for an inaccessible address). A safe way to ask whether memory is readable.
    /// </summary>
    public static unsafe int ReadabilityError(nint address, nuint bytes)
    {
        int* ends = stackalloc int[2];
        if (pipe(ends) != 0) throw LastError("pipe");
        try
        {
            return write(ends[1], address, bytes) == (nint)bytes ? 0 : Marshal.GetLastPInvokeError();
        }
        finally
        {
            close(ends[0]);
            close(ends[1]);
        }
    }

    private static Win32Exception LastError(string call) => new(Marshal.GetLastPInvokeError(), $"{call} failed");

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int mprotect(nint address, nuint length, int protection);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int munmap(nint address, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int pipe(int* ends);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint write(int fd, nint buffer, nuint count);

    [LibraryImport("libc")]
    private static partial int close(int fd);
}
