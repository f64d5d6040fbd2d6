using System.Runtime.InteropServices;
using SimdRnn;

namespace SimdRnn.Cli;

internal static class Program
{
    private const string Usage = """
        usage: simdrnn <command> [options]
          info      the CPU features and the SIMD path SimdRnn's kernels take here
          sample    --load model.safetensors [--prime "ROMEO:"] [--length 500] [--temperature 1] [--seed 1]
          gradient-flow [--cell rnn,lstm,gru] [--steps 200] [--hidden 64] [--plot gradient-flow.svg]
          bench     --problem ID... --threads N [--iters K] --csv: the problems of native-compare/problems.tsv as CSV
          train     train a character-level language model on the bundled corpus (or --text FILE)
                    [--cell lstm|gru|rnn|rnn-relu] [--layers 2] [--hidden 320] [--seq-len 100] [--batch 32]
                    [--lr 0.002] [--lr-final 0.1 (cosine decay to lr x this)] [--clip 5] [--dropout 0] [--minutes 4.5] [--steps S] [--seed 1] [--save model.safetensors] [--plot loss.svg]
        """;

    private static int Main(string[] args)
    {
        string command = args.Length == 0 ? "info" : args[0];
        try
        {
            return command switch
            {
                "info" => Info(),
                "train" => TrainCommand.Run(args[1..]),
                "bench" => BenchCommand.Run(args[1..]),
                "sample" => Sample.Run(args[1..]),
                "gradient-flow" => GradientFlowCommand.Run(args[1..]),
                "help" or "-h" or "--help" => Help(),
                _ => Fail($"unknown command '{command}'"),
            };
        }
        catch (CliException error)
        {
            return Fail(error.Message);
        }
    }

    private static int Info()
    {
        Console.WriteLine($"SimdRnn path:   {Cpu.Path} ({Cpu.VectorWidth} floats per vector)");
        Console.WriteLine($"CPU features:   {Cpu.Features}");
        Console.WriteLine($"Processors:     {Environment.ProcessorCount}");
        Console.WriteLine($"Runtime:        {RuntimeInformation.FrameworkDescription} {RuntimeInformation.ProcessArchitecture}");
        Console.WriteLine("Lower paths:    DOTNET_EnableAVX512=0 (Avx2), DOTNET_EnableAVX2=0 (Vector128), DOTNET_EnableHWIntrinsic=0 (Scalar)");
        return 0;
    }

    private static int Help()
    {
        Console.WriteLine(Usage);
        return 0;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"simdrnn: {message} (try 'simdrnn help')");
        return 2;
    }
}

/// <summary>A user error: printed as one line, exit code 2, never a stack trace.</summary>
internal sealed class CliException(string message) : Exception(message);
