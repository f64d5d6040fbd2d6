namespace SimdRnn.Cli;

/// <summary>One timed call of a bench problem: <see cref="Timed"/> is timed, <see cref="Prepare"/> (if any) runs untimed before it.</summary>
internal sealed record BenchCase(string Harness, double Flops, Action Timed, Action? Prepare = null);
