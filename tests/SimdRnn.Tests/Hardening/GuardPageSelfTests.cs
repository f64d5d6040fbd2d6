using System.Diagnostics;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Hardening;

/// <summary>
/// The guard page is real: the buffer's ends are accessible, the byte just outside is not, and a read of one float
/// outside the buffer kills the process (run in a child, so the run itself survives).
/// </summary>
public class GuardPageSelfTests
{
    private const string ProbeVariable = "SIMDRNN_GUARD_PROBE";
    private static readonly int[] ProbeLengths = [0, 1, 3, 1024, 1025];

    /// <summary>The kernel refuses to copy from the guard page (EFAULT) but copies the buffer's own first and last float.</summary>
    [Theory, MemberData(nameof(GuardPageCases.SidesOnly), MemberType = typeof(GuardPageCases))]
    [Trait("Category", "Kernel")]
    public unsafe void Guard_page_is_inaccessible_and_the_buffer_ends_are_not(GuardSide side)
    {
        foreach (int length in ProbeLengths)
        {
            using var memory = new GuardPageMemory<float>(length, side);
            Span<float> span = memory.GetSpan();
            Assert.Equal(length, span.Length);
            span.Fill(1f);
            nint start = (nint)memory.Start, end = start + length * sizeof(float);
            nint outside = side == GuardSide.After ? end : start - sizeof(float);
            Assert.Equal(side == GuardSide.After ? end : start - Environment.SystemPageSize, memory.GuardPage);
            Assert.Equal(LinuxMemory.Efault, LinuxMemory.ReadabilityError(outside, sizeof(float)));
            if (length > 0)
            {
                Assert.Equal(0, LinuxMemory.ReadabilityError(start, sizeof(float)));
                Assert.Equal(0, LinuxMemory.ReadabilityError(end - sizeof(float), sizeof(float)));
            }
        }
    }

    /// <summary>
    /// Reads the first and last float of a guarded buffer; in the child started by
    /// <see cref="Reading_one_float_outside_a_guarded_buffer_kills_the_process"/> it reads one float past the guarded end instead.
    /// </summary>
    [Theory, MemberData(nameof(GuardPageCases.SidesOnly), MemberType = typeof(GuardPageCases))]
    public unsafe void Probe_reads_the_ends_of_a_guarded_buffer(GuardSide side)
    {
        string? probe = Environment.GetEnvironmentVariable(ProbeVariable);
        using var memory = GuardPageMemory<float>.CopyOf([1f, 2f, 3f], side);
        float* start = memory.Start;
        if (probe == side.ToString())
        {
            float outside = side == GuardSide.After ? start[memory.Length] : start[-1];
            Assert.Fail($"read {outside} from the guard page and lived");
        }

        Assert.Equal(4f, start[0] + start[memory.Length - 1]);
    }

    /// <summary>Not on the ARM64 legs (not a kernel test): under qemu-user the test executable cannot start itself.</summary>
    [Theory, MemberData(nameof(GuardPageCases.SidesOnly), MemberType = typeof(GuardPageCases))]
    public async Task Reading_one_float_outside_a_guarded_buffer_kills_the_process(GuardSide side)
    {
        string probe = $"{typeof(GuardPageSelfTests).FullName}.{nameof(Probe_reads_the_ends_of_a_guarded_buffer)}";
        string executable = Environment.ProcessPath!;
        // The child must not leave a core dump behind; started as `dotnet SimdRnn.Tests.dll` when this run was.
        var start = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", "ulimit -c 0 && exec \"$@\"", "sh", executable },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (Path.GetFileNameWithoutExtension(executable) == "dotnet") start.ArgumentList.Add(typeof(GuardPageSelfTests).Assembly.Location);
        foreach (string argument in new[] { "-method", probe, "-noColor", "-noLogo" }) start.ArgumentList.Add(argument);
        start.Environment[ProbeVariable] = side.ToString();
        start.Environment["DOTNET_DbgEnableMiniDump"] = "0";

        CancellationToken cancel = TestContext.Current.CancellationToken;
        using Process child = Process.Start(start)!;
        Task<string> output = child.StandardOutput.ReadToEndAsync(cancel), error = child.StandardError.ReadToEndAsync(cancel);
        await child.WaitForExitAsync(cancel);
        string all = await output + await error;
        Assert.True(child.ExitCode != 0, $"the probe's child exited with 0:\n{all}");
        Assert.Contains("AccessViolationException", all);
        Assert.DoesNotContain("and lived", all);
    }
}
