namespace SimdRnn.Tests.Activations;

[Trait("Category", "Kernel")]
public class ActivationArgumentTests
{
    [Theory]
    [InlineData(10, 9)]
    [InlineData(9, 10)]
    [InlineData(0, 1)]
    public void Unary_length_mismatch_throws_naming_the_destination(int xLength, int yLength)
    {
        foreach ((string name, UnaryRun run) in ActivationKernels.PublicUnaries)
        {
            var error = Assert.Throws<ArgumentException>(() => run(new float[xLength], new float[yLength], Cpu.Path));
            Assert.Equal("y", error.ParamName);
            Assert.Contains($"{yLength}", error.Message);
            Assert.Contains($"{xLength}", error.Message);
            Assert.NotNull(name);
        }
    }

    [Fact]
    public void Backward_length_mismatch_throws_naming_the_argument()
    {
        foreach ((string _, BinaryRun run) in ActivationKernels.PublicBinaries)
        {
            Assert.Equal("dy", Assert.Throws<ArgumentException>(() => run(new float[8], new float[7], new float[8], Cpu.Path)).ParamName);
            Assert.Equal("dx", Assert.Throws<ArgumentException>(() => run(new float[8], new float[8], new float[9], Cpu.Path)).ParamName);
        }
    }

    [Fact]
    public void Shifted_overlap_throws_but_exact_in_place_is_allowed()
    {
        var buffer = new float[40];
        foreach ((string _, UnaryRun run) in ActivationKernels.PublicUnaries)
        {
            var error = Assert.Throws<ArgumentException>(() => run(buffer.AsSpan(0, 32), buffer.AsSpan(1, 32), Cpu.Path));
            Assert.Equal("y", error.ParamName);
            run(buffer.AsSpan(0, 32), buffer.AsSpan(0, 32), Cpu.Path);
        }

        foreach ((string _, BinaryRun run) in ActivationKernels.PublicBinaries)
            Assert.Equal("dx", Assert.Throws<ArgumentException>(() => run(buffer.AsSpan(0, 32), buffer.AsSpan(8, 32), buffer.AsSpan(2, 32), Cpu.Path)).ParamName);
    }

    [Fact]
    public void Empty_spans_are_a_no_op()
    {
        foreach ((string _, UnaryRun run) in ActivationKernels.PublicUnaries) run([], [], Cpu.Path);
        foreach ((string _, BinaryRun run) in ActivationKernels.PublicBinaries) run([], [], [], Cpu.Path);
    }
}
