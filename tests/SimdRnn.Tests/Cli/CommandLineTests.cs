using System.CommandLine;
using SimdRnn.Cli;

namespace SimdRnn.Tests.Cli;

/// <summary>The <c>simdrnn</c> command line: help, version, errors, defaults, and the invocations of the repository's scripts.</summary>
public class CommandLineTests
{
    public static TheoryData<string> Commands => ["info", "train", "sample", "gradient-flow", "bench"];

    private static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exitCode = Program.Run(args, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Help_of_every_command_exits_0_and_describes_every_option(string name)
    {
        Command command = Program.CreateRoot().Subcommands.Single(c => c.Name == name);
        Assert.False(string.IsNullOrWhiteSpace(command.Description));
        foreach (string help in new[] { "--help", "-h" })
        {
            (int exitCode, string output, string error) = Run(name, help);
            Assert.Equal(0, exitCode);
            Assert.Equal("", error);
            Assert.Contains(command.Description!, output.ReplaceLineEndings(" "));
            foreach (Option option in command.Options)
            {
                Assert.False(string.IsNullOrWhiteSpace(option.Description), $"{name} {option.Name} has no description");
                Assert.Contains(option.Name, output);
            }
        }
    }

    [Fact]
    public void Root_help_lists_the_commands_and_version_prints_one()
    {
        foreach (string[] args in new[] { new[] { "--help" }, ["-h"], ["help"] })
        {
            (int exitCode, string output, _) = Run(args);
            Assert.Equal(0, exitCode);
            foreach (string name in Commands) Assert.Contains(name, output);
            Assert.Contains("--version", output);
        }

        (int versionExit, string version, _) = Run("--version");
        Assert.Equal(0, versionExit);
        Assert.Matches(@"^\d+\.\d+\.\d+", version);
    }

    [Theory]
    [InlineData("train", "--hidden", "0")]
    [InlineData("train", "--layers", "two")]
    [InlineData("train", "--lr", "1,5")]
    [InlineData("train", "--dropout", "0.95")]
    [InlineData("train", "--steps", "0")]
    [InlineData("train", "--cell", "transformer")]
    [InlineData("sample", "--temperature", "0")]
    [InlineData("sample", "--length", "-1")]
    [InlineData("gradient-flow", "--cell", "lstm,tree")]
    [InlineData("gradient-flow", "--steps", "1")]
    [InlineData("bench", "--iters", "9")]
    [InlineData("bench", "--threads", "0")]
    [InlineData("bench", "--warmup-seconds", "-1")]
    [InlineData("bench", "--problem", "no-such-problem")]
    public void Bad_value_is_an_error_naming_the_option_with_exit_code_2(string command, string option, string value)
    {
        (int exitCode, string output, string error) = Run(command, option, value);
        Assert.Equal(2, exitCode);
        Assert.Equal("", output);
        Assert.Contains(option, error);
        Assert.Contains(value, error);
        Assert.Contains($"simdrnn {command} --help", error);
    }

    [Fact]
    public void Unknown_option_or_command_is_an_error_with_a_suggestion()
    {
        (int exitCode, string output, string error) = Run("gradient-flow", "--stpes", "20");
        Assert.Equal(2, exitCode);
        Assert.Equal("", output);
        Assert.Contains("'--stpes'", error);
        Assert.Contains("--steps", error);

        (exitCode, _, error) = Run("trian");
        Assert.Equal(2, exitCode);
        Assert.Contains("train", error);

        (exitCode, _, error) = Run("sample");
        Assert.Equal(2, exitCode);
        Assert.Contains("--load", error);
    }

    [Theory]
    [InlineData("train", "--cell", "lstm")]
    [InlineData("train", "--layers", 2)]
    [InlineData("train", "--hidden", 320)]
    [InlineData("train", "--seq-len", 100)]
    [InlineData("train", "--batch", 32)]
    [InlineData("train", "--lr", 0.002)]
    [InlineData("train", "--lr-final", 0.1)]
    [InlineData("train", "--clip", 5.0)]
    [InlineData("train", "--dropout", 0.0)]
    [InlineData("train", "--minutes", 4.5)]
    [InlineData("train", "--steps", null)]
    [InlineData("train", "--seed", 1)]
    [InlineData("train", "--text", null)]
    [InlineData("train", "--save", null)]
    [InlineData("train", "--plot", "loss.svg")]
    [InlineData("sample", "--prime", null)] // a newline, set by the command
    [InlineData("sample", "--length", 500)]
    [InlineData("sample", "--temperature", 1.0)]
    [InlineData("sample", "--seed", 1)]
    [InlineData("gradient-flow", "--cell", "rnn,lstm,gru")]
    [InlineData("gradient-flow", "--steps", 200)]
    [InlineData("gradient-flow", "--hidden", 64)]
    [InlineData("gradient-flow", "--seed", 1)]
    [InlineData("gradient-flow", "--plot", "gradient-flow.svg")]
    [InlineData("bench", "--threads", 1)]
    [InlineData("bench", "--iters", 20)]
    [InlineData("bench", "--warmup", 3)]
    [InlineData("bench", "--warmup-seconds", 1.0)]
    [InlineData("bench", "--problem", null)] // all problems
    public void Defaults_are_those_of_the_hand_written_parser(string command, string option, object? expected)
    {
        string[] args = command == "sample" ? [command, "--load", "model.safetensors"] : [command];
        ParseResult parse = Program.CreateRoot().Parse(args);
        Assert.Empty(parse.Errors);
        Option symbol = parse.CommandResult.Command.Options.Single(o => o.Name == option);
        object? value = parse.GetResult(symbol) is { } result ? result.GetValueOrDefault<object?>() : null;
        Assert.Equal(expected, value);
    }

    [Theory]
    // native-compare/run.sh and perf/compare-builds.sh
    [InlineData("bench --problem lstm-512-t1 --threads 2 --iters 20 --csv")]
    [InlineData("train --cell lstm --layers 1 --hidden 256 --seq-len 100 --batch 32 --lr 0.002 --lr-final 1 --clip 5 --minutes 4.5")]
    // .ci/run, run.sh's describe_simdrnn, README
    [InlineData("info")]
    [InlineData("")]
    [InlineData("train")]
    [InlineData("sample --load model.safetensors --prime ROMEO:")]
    [InlineData("gradient-flow")]
    [InlineData("bench --problem lstm-1024-p256 gru-512-rf")]
    // the old usage text's forms
    [InlineData("bench --problem sq-1024 lstm-seed skinny-1 --threads 1 --iters 10 --warmup 1 --warmup-seconds 0.5 --csv")]
    [InlineData("gradient-flow --cell rnn,lstm,gru --steps 200 --hidden 64 --plot gradient-flow.svg")]
    [InlineData("train --cell rnn-relu --text t.txt --steps 3 --dropout 0.25 --save m.safetensors --plot l.svg --seed 7")]
    public void Invocations_of_the_scripts_and_the_readme_parse(string line)
    {
        ParseResult parse = Program.CreateRoot().Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(parse.Errors);
    }

    [Fact]
    public void Bench_problem_takes_several_ids_in_order()
    {
        ParseResult parse = Program.CreateRoot().Parse(["bench", "--problem", "skinny-1", "lstm-seed", "--threads", "2"]);
        Assert.Empty(parse.Errors);
        Assert.Equal(["skinny-1", "lstm-seed"], parse.GetValue<string[]>("--problem")!);
        Assert.Equal(2, parse.GetValue<int>("--threads"));
    }
}
