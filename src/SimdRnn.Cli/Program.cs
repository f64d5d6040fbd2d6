namespace SimdRnn.Cli;

// Minimal entry point of the gemm branch so that `simdrnn bench` runs; main's Program.cs replaces it at merge.
internal static class Program
{
    private static int Main(string[] args) =>
        args.Length > 0 && args[0] == "bench" ? BenchCommand.Run(args[1..]) : Fail();

    private static int Fail()
    {
        Console.Error.WriteLine("usage: simdrnn bench --problem ID... --threads N [--iters K] --csv");
        return 2;
    }
}
