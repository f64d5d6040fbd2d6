using System.CommandLine;
using System.CommandLine.Invocation;
using System.Runtime.InteropServices;
using SimdRnn;

namespace SimdRnn.Cli;

/// <summary>
/// The <c>simdrnn</c> command line, on System.CommandLine: every command and option described, <c>--help</c> / <c>-h</c>
/// on the root and on every command, <c>--version</c>; no command runs <c>info</c>.
/// </summary>
internal static class Program
{
    /// <summary>The exit code of a usage error: an unknown command or option, a bad value, or a <see cref="CliException"/>.</summary>
    public const int UsageError = 2;

    private static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Parses and runs <paramref name="args"/>; help, version and errors go to the writers given, a command's own output to the console.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        ParseResult parse = CreateRoot().Parse(args);
        if (parse.Errors.Count > 0)
        {
            // The errors and, for an unknown name, the nearest known ones (all to the error writer); help only on request.
            if (parse.Action is ParseErrorAction action) action.ShowHelp = false;
            parse.Invoke(new InvocationConfiguration { Output = error, Error = error });
            error.WriteLine($"(try '{CommandPath(parse)} --help')");
            return UsageError;
        }

        try
        {
            // No default exception handler: a CliException is a one-line usage error, anything else a crash with its trace.
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (CliException exception)
        {
            error.WriteLine($"{CommandPath(parse)}: {exception.Message}");
            return UsageError;
        }
    }

    /// <summary>The command tree: <c>info</c>, <c>train</c>, <c>sample</c>, <c>gradient-flow</c>, <c>bench</c> (and a hidden <c>help</c>).</summary>
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("simdrnn: SIMD CPU kernels for RNN / LSTM / GRU in .NET. Trains a character-level language model, " +
                                   "samples from its checkpoints, plots gradient flow, benchmarks the kernels and prints the CPU's SIMD path. " +
                                   "Without a command: info.");
        var info = new Command("info", "Print the CPU features and the SIMD path SimdRnn's kernels take on this machine.");
        info.SetAction(Info);
        root.SetAction(Info);
        var help = new Command("help", "Print this help.") { Hidden = true };
        help.SetAction(parse => root.Parse(["--help"]).Invoke(parse.InvocationConfiguration));
        foreach (Command command in new Command[] { info, new TrainCommand(), new SampleCommand(), new GradientFlowCommand(), new BenchCommand(), help })
            root.Subcommands.Add(command);
        return root;
    }

    private static int Info(ParseResult parse)
    {
        TextWriter output = parse.InvocationConfiguration.Output;
        output.WriteLine($"SimdRnn path:   {Cpu.Path} ({Cpu.VectorWidth} floats per vector)");
        output.WriteLine($"CPU features:   {Cpu.Features}");
        output.WriteLine($"Processors:     {Environment.ProcessorCount}");
        output.WriteLine($"Runtime:        {RuntimeInformation.FrameworkDescription} {RuntimeInformation.ProcessArchitecture}");
        output.WriteLine("Lower paths:    DOTNET_EnableAVX512=0 (Avx2), DOTNET_EnableAVX2=0 (Vector128), DOTNET_EnableHWIntrinsic=0 (Scalar)");
        return 0;
    }

    /// <summary>"simdrnn train": the command the user typed, for messages.</summary>
    private static string CommandPath(ParseResult parse) =>
        parse.CommandResult.Command is RootCommand ? "simdrnn" : $"simdrnn {parse.CommandResult.Command.Name}";
}

/// <summary>A user error: printed as one line, exit code 2, never a stack trace.</summary>
internal sealed class CliException(string message) : Exception(message);
