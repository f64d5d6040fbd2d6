using System.Collections.Concurrent;
using CommunityToolkit.HighPerformance;
using FsCheck;
using FsCheck.Fluent;
using SimdRnn.Tests.Activations;

namespace SimdRnn.Tests.Hardening;

/// <summary>
/// Random invalid input to every public entry point: null references, too-short or too-long spans, overlapping
/// spans, negative and zero sizes, size products past int32, mismatched workspaces and parameter shapes, undefined
/// enum values and out-of-range scalars. Each call must throw ArgumentException (or ArgumentOutOfRangeException /
/// ArgumentNullException) whose ParamName is one of the arguments at fault, within a time limit, and write nothing
/// at all (the arena holding every span, with gaps between them, is bitwise unchanged). The counts per kind and per
/// entry point are written to the test output. What must not be missed is enumerated: every (entry point, kind) pair
/// and, within a pair, every variant a maker declares (each pair of overlapping spans, each function of a family),
/// each tried the same number of times (drawn at random, a given pair of overlapping spans was missed in up to a
/// fifth of the runs); FsCheck draws the rest of each try (sizes, shifts, the other choices, contents) and shrinks
/// a failure within its variant.
/// </summary>
public class InvalidArgumentTests
{
    private const int TriesPerPair = 40;

    /// <summary>
    /// One try: which invalid call and which of its variants (enumerated), the sizes around it and the other choices
    /// of how it is made invalid (drawn by FsCheck).
    /// </summary>
    public sealed record Draw(int Case, int Variant, int M, int N, int K, int Short, int Shift, int Negative, int Big, int Choice, int Seed)
    {
        public override string ToString() =>
            $"{Cases[Case % Cases.Length].Entry} / {Cases[Case % Cases.Length].Kind} variant {Variant}: m {M}, n {N}, k {K}, short {Short}, shift {Shift}, " +
            $"negative {Negative}, big {Big}, choice {Choice}, seed {Seed}";
    }

    private sealed record Invalid(string[] Names, Action Call);

    /// <summary>An invalid call of one kind to one entry point; <paramref name="Variants"/> (enumerated) are told apart by <see cref="Draw.Variant"/>.</summary>
    private sealed record Maker(string Entry, string Kind, Func<Draw, Arena, Invalid> Make, int Variants = 1)
    {
        /// <summary>At least <see cref="TriesPerPair"/> tries, the same number for every variant.</summary>
        public int TriesPerVariant => (TriesPerPair + Variants - 1) / Variants;
    }

    private static readonly ConcurrentDictionary<string, int> CountByKind = new(), CountByEntry = new();

    private static Gen<Draw> Draws(int pair, int variant) =>
        from m in Gen.Choose(1, 24)
        from n in Gen.Choose(1, 24)
        from k in Gen.Choose(1, 24)
        from shortBy in Gen.Choose(1, 3)
        from shift in Gen.Choose(1, 40)
        from negative in Gen.OneOf(Gen.Choose(-3, -1), Gen.Choose(int.MinValue, -1))
        from big in Gen.OneOf(Gen.Choose(46_341, 1 << 20), Gen.Choose(1 << 20, int.MaxValue))
        from choice in Gen.Choose(0, 999)
        from seed in Gen.Choose(0, int.MaxValue)
        select new Draw(pair, variant, m, n, k, shortBy, shift, negative, big, choice, seed);

    [Fact]
    public void Every_public_entry_point_rejects_invalid_input_naming_the_argument_and_writing_nothing()
    {
        CountByKind.Clear();
        CountByEntry.Clear();
        for (int pair = 0; pair < Cases.Length; pair++)
            for (int variant = 0; variant < Cases[pair].Variants; variant++)
                Prop.ForAll(Draws(pair, variant).ToArbitrary(), Check)
                    .Check(Config.QuickThrowOnFailure.WithMaxTest(Cases[pair].TriesPerVariant).WithQuietOnSuccess(true));

        // Every variant of every pair was tried (and no two makers share a name, which would hide one in the counts).
        foreach (Maker maker in Cases)
        {
            int tries = CountByEntry.GetValueOrDefault(maker.Entry + " / " + maker.Kind), expected = maker.Variants * maker.TriesPerVariant;
            Assert.True(tries == expected, $"{maker.Entry} / {maker.Kind}: tried {tries} times, expected {expected}");
        }
        var output = TestContext.Current.TestOutputHelper;
        output?.WriteLine($"invalid inputs tried: {CountByKind.Values.Sum()} ({Cases.Length} (entry point, kind) pairs)");
        foreach (var (kind, count) in CountByKind.OrderBy(p => p.Key, StringComparer.Ordinal)) output?.WriteLine($"  kind {kind}: {count}");
        foreach (var (entry, count) in CountByEntry.OrderBy(p => p.Key, StringComparer.Ordinal)) output?.WriteLine($"  {entry}: {count}");
    }

    private static void Check(Draw draw)
    {
        Maker maker = Cases[draw.Case % Cases.Length];
        var arena = new Arena(draw.Seed);
        Invalid invalid = maker.Make(draw, arena);
        arena.Snapshot();
        Exception? caught = null;
        var task = Task.Run(() =>
        {
            try { invalid.Call(); }
            catch (Exception e) { caught = e; }
        });
        Assert.True(task.Wait(TimeSpan.FromSeconds(60)), $"{maker.Entry} / {maker.Kind} did not return within 60 s");
        Assert.True(caught is not null, $"{maker.Entry} / {maker.Kind}: no exception ({draw})");
        Assert.True(caught.GetType() == typeof(ArgumentException) || caught.GetType() == typeof(ArgumentOutOfRangeException) ||
                    caught.GetType() == typeof(ArgumentNullException),
            $"{maker.Entry} / {maker.Kind}: {caught.GetType().Name}: {caught.Message} ({draw})");
        string? name = ((ArgumentException)caught).ParamName;
        Assert.True(name is not null && invalid.Names.Contains(name),
            $"{maker.Entry} / {maker.Kind}: ParamName '{name}', expected one of {string.Join(", ", invalid.Names)}: {caught.Message} ({draw})");
        // The message says what is wrong: more than the parameter name (and value) that .NET appends to any message.
        string bare = caught is ArgumentOutOfRangeException outOfRange
            ? new ArgumentOutOfRangeException(outOfRange.ParamName, outOfRange.ActualValue, "").Message
            : new ArgumentException("", name).Message;
        Assert.True(caught is ArgumentNullException || caught.Message.Length >= bare.Length + 16,
            $"{maker.Entry} / {maker.Kind}: the message does not explain: '{caught.Message}' ({draw})");
        arena.AssertUnchanged();
        CountByKind.AddOrUpdate(maker.Kind, 1, (_, c) => c + 1);
        CountByEntry.AddOrUpdate(maker.Entry + " / " + maker.Kind, 1, (_, c) => c + 1);
    }

    // The kinds.
    private const string Null = "null reference", Length = "too short or too long span", Overlap = "overlapping spans",
        Negative = "negative size", Zero = "zero size", Overflow = "size product past int32",
        Mismatch = "mismatched workspace, parameters or shapes", Enum = "undefined enum value", Scalar = "out-of-range scalar",
        SmallLd = "leading dimension below the row length", Unusable = "stream that cannot be read or written",
        BadLengths = "sequence lengths of the wrong count or outside [1, T]";

    private static Invalid Names(Action call, params string[] names) => new(names, call);

    private static int Pick(Draw d, int count) => d.Choice % count;

    /// <summary>
    /// Variant <paramref name="variant"/> of the pairs (later, earlier) with earlier &lt; later, later from
    /// <paramref name="firstLater"/> to <paramref name="lastLater"/>: a span overlapping one before it. There are
    /// <see cref="PairCount"/> of them.
    /// </summary>
    private static (int Later, int Earlier) PairOf(int variant, int firstLater, int lastLater)
    {
        for (int later = firstLater; later <= lastLater; variant -= later, later++)
            if (variant < later) return (later, variant);
        throw new ArgumentOutOfRangeException(nameof(variant));
    }

    private static int PairCount(int firstLater, int lastLater) => (firstLater + lastLater) * (lastLater - firstLater + 1) / 2;

    /// <summary>A shift in [1, length): an overlap that is not exact aliasing (length at least 2).</summary>
    private static int PartialShift(Draw d, int length) => 1 + d.Shift % (length - 1);

    private static readonly Maker[] Cases = [.. GemmCases(), .. ActivationCases(), .. TrainingCases(), .. StackCases(), .. SafetensorsCases()];

    private static IEnumerable<Maker> GemmCases()
    {
        const string span = "Gemm.Multiply(spans)", packedSpan = "Gemm.Multiply(spans, PackedMatrix)";
        const string view = "Gemm.Multiply(2D views)", packedView = "Gemm.Multiply(2D view, PackedMatrix)";
        const string pack = "PackedMatrix.Pack(span)", packView = "PackedMatrix.Pack(2D view)";

        // A valid product m x n x k (A m x k, B k x n, C m x n, tight leading dimensions) with one thing changed.
        static Invalid Product(Draw d, Arena arena, int m, int n, int k, int lda, int ldb, int ldc, int aLength, int bLength, int cLength,
            MatrixOp opA = MatrixOp.None, MatrixOp opB = MatrixOp.None, int threads = -1, string[]? names = null, Func<Memory<float>, Memory<float>>? cFrom = null,
            bool cOverB = false)
        {
            Memory<float> a = arena.Take(aLength), b = arena.Take(bLength);
            Memory<float> c = cFrom is not null ? cFrom(cOverB ? b : a) : arena.Take(cLength);
            return Names(() => SimdRnn.Gemm.Multiply(opA, opB, m, n, k, 1.5f, a.Span, lda, b.Span, ldb, 0.5f, c.Span, ldc, threads), names ?? []);
        }

        yield return new(span, Negative, (d, arena) => Pick(d, 3) switch
        {
            0 => Product(d, arena, d.Negative, d.N, d.K, d.K, d.N, d.N, 4, d.K * d.N, 4, names: ["m"]),
            1 => Product(d, arena, d.M, d.Negative, d.K, d.K, 4, 4, d.M * d.K, 4, 4, names: ["n", "ldb", "ldc"]),
            _ => Product(d, arena, d.M, d.N, d.Negative, 4, d.N, d.N, 4, 4, d.M * d.N, names: ["k", "lda"]),
        });
        yield return new(span, SmallLd, (d, arena) => Pick(d, 3) switch
        {
            0 => Product(d, arena, d.M, d.N, d.K, d.K - d.Short, d.N, d.N, d.M * d.K, d.K * d.N, d.M * d.N, names: ["lda"]),
            1 => Product(d, arena, d.M, d.N, d.K, d.K, d.N - d.Short, d.N, d.M * d.K, d.K * d.N, d.M * d.N, names: ["ldb"]),
            _ => Product(d, arena, d.M, d.N, d.K, d.K, d.N, d.N - d.Short, d.M * d.K, d.K * d.N, d.M * d.N, names: ["ldc"]),
        });
        yield return new(span, Length, (d, arena) => Pick(d, 3) switch
        {
            0 => Product(d, arena, d.M, d.N, d.K, d.K, d.N, d.N, d.M * d.K - d.Short, d.K * d.N, d.M * d.N, names: ["a"]),
            1 => Product(d, arena, d.M, d.N, d.K, d.K, d.N, d.N, d.M * d.K, d.K * d.N - d.Short, d.M * d.N, names: ["b"]),
            _ => Product(d, arena, d.M, d.N, d.K, d.K, d.N, d.N, d.M * d.K, d.K * d.N, d.M * d.N - d.Short, names: ["c"]),
        });
        yield return new(span, Overlap, (d, arena) =>
        {
            bool overB = d.Variant == 1;
            int inputLength = overB ? d.K * d.N : d.M * d.K, shift = d.Shift % inputLength;
            return Product(d, arena, d.M, d.N, d.K, d.K, d.N, d.N, d.M * d.K, d.K * d.N, d.M * d.N, names: ["c", overB ? "b" : "a"],
                cFrom: input => arena.Overlapping(input, shift, d.M * d.N), cOverB: overB);
        }, Variants: 2);
        yield return new(span, Overflow, (d, arena) => Pick(d, 3) switch
        {
            // m * n, m * k and the leading-dimension products all past int32; the spans are small.
            0 => Product(d, arena, d.Big, d.Big, d.K, d.K, d.Big, d.Big, 64, 64, 64, names: ["a", "b", "c"]),
            1 => Product(d, arena, d.Big, d.N, d.Big, d.Big, d.N, d.N, 64, 64, 64, names: ["a", "b", "c"]),
            _ => Product(d, arena, d.M, d.Big, d.K, d.K, d.Big, d.Big, d.M * d.K, 64, 64, names: ["b", "c"]),
        });
        yield return new(span, Enum, (d, arena) => d.Choice % 2 == 0
            ? Product(d, arena, d.M, d.N, d.K, d.K, d.N, d.N, d.M * d.K, d.K * d.N, d.M * d.N, opA: (MatrixOp)(2 + d.Choice), names: ["opA"])
            : Product(d, arena, d.M, d.N, d.K, d.K, d.N, d.N, d.M * d.K, d.K * d.N, d.M * d.N, opB: (MatrixOp)(-1 - d.Choice), names: ["opB"]));
        yield return new(span, Scalar, (d, arena) =>
            Product(d, arena, d.M, d.N, d.K, d.K, d.N, d.N, d.M * d.K, d.K * d.N, d.M * d.N, threads: d.Choice % 2 == 0 ? 0 : Math.Min(d.Negative, -2), names: ["maxDegreeOfParallelism"]));

        // 2D views over the arena's storage (the views know their sizes, so the faults are shape mismatches and overlap).
        static Span2D<float> View(Memory<float> memory, int height, int width) => memory.AsMemory2D(height, width).Span;
        yield return new(view, Mismatch, (d, arena) =>
        {
            Memory<float> a = arena.Take(d.M * d.K), b = arena.Take((d.K + d.Short) * d.N), c = arena.Take((d.M + d.Short) * (d.N + 1));
            return Pick(d, 3) switch
            {
                0 => Names(() => SimdRnn.Gemm.Multiply(View(a, d.M, d.K), View(b, d.K + d.Short, d.N), View(c, d.M, d.N)), "b"),
                1 => Names(() => SimdRnn.Gemm.Multiply(View(a, d.M, d.K), View(b, d.K, d.N), View(c, d.M + d.Short, d.N)), "c"),
                _ => Names(() => SimdRnn.Gemm.Multiply(View(a, d.M, d.K), View(b, d.K, d.N), View(c, d.M, d.N + 1)), "c"),
            };
        });
        yield return new(view, Overlap, (d, arena) =>
        {
            Memory<float> a = arena.Take(d.M * d.K), b = arena.Take(d.K * d.N);
            Memory<float> c = arena.Overlapping(a, d.Shift % (d.M * d.K), d.M * d.N);
            return Names(() => SimdRnn.Gemm.Multiply(View(a, d.M, d.K), View(b, d.K, d.N), View(c, d.M, d.N)), "c", "a");
        });
        yield return new(view, Enum, (d, arena) =>
        {
            Memory<float> a = arena.Take(d.M * d.K), b = arena.Take(d.K * d.N), c = arena.Take(d.M * d.N);
            return Names(() => SimdRnn.Gemm.Multiply(View(a, d.M, d.K), View(b, d.K, d.N), View(c, d.M, d.N), opB: (MatrixOp)(5 + d.Choice)), "opB");
        });
        yield return new(view, Scalar, (d, arena) =>
        {
            Memory<float> a = arena.Take(d.M * d.K), b = arena.Take(d.K * d.N), c = arena.Take(d.M * d.N);
            return Names(() => SimdRnn.Gemm.Multiply(View(a, d.M, d.K), View(b, d.K, d.N), View(c, d.M, d.N), maxDegreeOfParallelism: -2 - d.Choice), "maxDegreeOfParallelism");
        });

        // The packed right operand (k x n).
        static Invalid Packed(Draw d, Arena arena, int m, int lda, int aLength, int ldc, int cLength, bool nullB = false, int threads = -1,
            MatrixOp opA = MatrixOp.None, string[]? names = null, bool overlap = false)
        {
            PackedMatrix b = PackedMatrix.Pack(MatrixOp.None, d.K, d.N, new float[d.K * d.N], d.N);
            Memory<float> a = arena.Take(aLength);
            Memory<float> c = overlap ? arena.Overlapping(a, d.Shift % aLength, cLength) : arena.Take(cLength);
            return Names(() => SimdRnn.Gemm.Multiply(opA, m, 1f, a.Span, lda, nullB ? null! : b, 0f, c.Span, ldc, threads), names ?? []);
        }

        yield return new(packedSpan, Null, (d, arena) => Packed(d, arena, d.M, d.K, d.M * d.K, d.N, d.M * d.N, nullB: true, names: ["b"]));
        yield return new(packedSpan, Length, (d, arena) => d.Choice % 2 == 0
            ? Packed(d, arena, d.M, d.K, d.M * d.K - d.Short, d.N, d.M * d.N, names: ["a"])
            : Packed(d, arena, d.M, d.K, d.M * d.K, d.N, d.M * d.N - d.Short, names: ["c"]));
        yield return new(packedSpan, Negative, (d, arena) => Packed(d, arena, d.Negative, d.K, d.M * d.K, d.N, d.M * d.N, names: ["m"]));
        yield return new(packedSpan, SmallLd, (d, arena) => d.Choice % 2 == 0
            ? Packed(d, arena, d.M, d.K - d.Short, d.M * d.K, d.N, d.M * d.N, names: ["lda"])
            : Packed(d, arena, d.M, d.K, d.M * d.K, d.N - d.Short, d.M * d.N, names: ["ldc"]));
        yield return new(packedSpan, Overlap, (d, arena) => Packed(d, arena, d.M, d.K, d.M * d.K, d.N, d.M * d.N, overlap: true, names: ["c", "a"]));
        yield return new(packedSpan, Overflow, (d, arena) => Packed(d, arena, d.Big, d.K, 64, d.N, 64, names: ["a", "c"]));
        yield return new(packedSpan, Enum, (d, arena) => Packed(d, arena, d.M, d.K, d.M * d.K, d.N, d.M * d.N, opA: (MatrixOp)(2 + d.Choice), names: ["opA"]));
        yield return new(packedSpan, Scalar, (d, arena) => Packed(d, arena, d.M, d.K, d.M * d.K, d.N, d.M * d.N, threads: Math.Min(-2, d.Negative), names: ["maxDegreeOfParallelism"]));
        yield return new(packedView, Null, (d, arena) =>
        {
            Memory<float> a = arena.Take(d.M * d.K), c = arena.Take(d.M * d.N);
            return Names(() => SimdRnn.Gemm.Multiply(View(a, d.M, d.K), (PackedMatrix)null!, View(c, d.M, d.N)), "b");
        });
        yield return new(packedView, Mismatch, (d, arena) =>
        {
            PackedMatrix b = PackedMatrix.Pack(MatrixOp.None, d.K, d.N, new float[d.K * d.N], d.N);
            Memory<float> a = arena.Take(d.M * (d.K + d.Short)), c = arena.Take((d.M + 1) * (d.N + 2));
            return d.Choice % 2 == 0
                ? Names(() => SimdRnn.Gemm.Multiply(View(a, d.M, d.K + d.Short), b, View(c, d.M, d.N)), "b")
                : Names(() => SimdRnn.Gemm.Multiply(View(a, d.M, d.K), b, View(c, d.M + 1, d.N + d.Choice % 3)), "c");
        });

        static Invalid Pack(Arena arena, int k, int n, int length, int ldb, MatrixOp op, params string[] names)
        {
            Memory<float> b = arena.Take(length);
            return Names(() => PackedMatrix.Pack(op, k, n, b.Span, ldb), names);
        }

        yield return new(pack, Negative, (d, arena) => d.Choice % 2 == 0
            ? Pack(arena, d.Negative, d.N, 16, d.N, MatrixOp.None, "k")
            : Pack(arena, d.K, d.Negative, 16, 4, MatrixOp.None, "n", "ldb"));
        yield return new(pack, Length, (d, arena) => Pack(arena, d.K, d.N, d.K * d.N - d.Short, d.Choice % 2 == 0 ? d.N : d.K,
            d.Choice % 2 == 0 ? MatrixOp.None : MatrixOp.Transpose, "b"));
        yield return new(pack, SmallLd, (d, arena) => Pack(arena, d.K, d.N, d.K * d.N, d.N - d.Short, MatrixOp.None, "ldb"));
        yield return new(pack, Overflow, (d, arena) => Pack(arena, d.Big, d.Big, 64, d.Big, MatrixOp.None, "b"));
        yield return new(pack, Enum, (d, arena) => Pack(arena, d.K, d.N, d.K * d.N, d.N, (MatrixOp)(2 + d.Choice), "opB"));
        yield return new(packView, Enum, (d, arena) =>
        {
            Memory<float> b = arena.Take(d.K * d.N);
            return Names(() => PackedMatrix.Pack(View(b, d.K, d.N), (MatrixOp)(-1 - d.Choice)), "opB");
        });
    }

    private static IEnumerable<Maker> ActivationCases()
    {
        const string unary = "Activation.Tanh/Sigmoid/Relu", binary = "Activation.*Backward";
        int length(Draw d) => d.M * d.N;
        yield return new(unary, Length, (d, arena) =>
        {
            Memory<float> x = arena.Take(length(d)), y = arena.Take(length(d) + (d.Choice % 2 == 0 ? d.Short : -d.Short));
            UnaryRun run = ActivationKernels.PublicUnaries[d.Variant].Run;
            return Names(() => run(x.Span, y.Span, Cpu.Path), "y");
        }, Variants: ActivationKernels.PublicUnaries.Length);
        yield return new(unary, Overlap, (d, arena) =>
        {
            Memory<float> x = arena.Take(length(d) + 1), y = arena.Overlapping(x, 1 + d.Shift % length(d), length(d) + 1);
            UnaryRun run = ActivationKernels.PublicUnaries[d.Variant].Run;
            return Names(() => run(x.Span, y.Span, Cpu.Path), "y");
        }, Variants: ActivationKernels.PublicUnaries.Length);
        yield return new(binary, Length, (d, arena) =>
        {
            int functions = ActivationKernels.PublicBinaries.Length;
            bool dyWrong = d.Variant / functions == 0;
            Memory<float> y = arena.Take(length(d)), dy = arena.Take(length(d) + (dyWrong ? d.Short : 0)), dx = arena.Take(length(d) + (dyWrong ? 0 : -d.Short));
            BinaryRun run = ActivationKernels.PublicBinaries[d.Variant % functions].Run;
            return Names(() => run(y.Span, dy.Span, dx.Span, Cpu.Path), dyWrong ? "dy" : "dx");
        }, Variants: 2 * ActivationKernels.PublicBinaries.Length);
        yield return new(binary, Overlap, (d, arena) =>
        {
            Memory<float> y = arena.Take(length(d) + 1), dy = arena.Take(length(d) + 1);
            int functions = ActivationKernels.PublicBinaries.Length;
            Memory<float> dx = arena.Overlapping(d.Variant / functions == 0 ? y : dy, 1 + d.Shift % length(d), length(d) + 1);
            BinaryRun run = ActivationKernels.PublicBinaries[d.Variant % functions].Run;
            return Names(() => run(y.Span, dy.Span, dx.Span, Cpu.Path), "dx");
        }, Variants: 2 * ActivationKernels.PublicBinaries.Length);
    }

    private static IEnumerable<Maker> TrainingCases()
    {
        const string forward = "Linear.Forward", backward = "Linear.Backward", softmax = "SoftmaxCrossEntropy.ForwardBackward";
        const string sgd = "Optimizer.SgdStep", adam = "Optimizer.AdamStep", clipValue = "GradientClipping.ClipByValue",
            clipNorm = "GradientClipping.ClipByGlobalNorm";

        // Linear: rows = M, inputs = K, outputs = N. Spans in parameter order; `change` alters one length or size.
        static Invalid LinearForward(Draw d, Arena arena, int which, int delta, int? rows = null, int? inputs = null, int? outputs = null, int overlapWith = -1)
        {
            int[] lengths = [d.M * d.K, d.N * d.K, d.N, d.M * d.N];
            if (which >= 0) lengths[which] += delta;
            Memory<float>[] spans = new Memory<float>[4];
            for (int i = 0; i < 3; i++) spans[i] = arena.Take(Math.Max(lengths[i], 0));
            spans[3] = overlapWith >= 0 ? arena.Overlapping(spans[overlapWith], d.Shift % lengths[overlapWith], lengths[3]) : arena.Take(lengths[3]);
            string[] names = ["x", "weight", "bias", "y"];
            string[] expected = rows is not null ? ["rows"] : inputs is not null ? ["inputs"] : outputs is not null ? ["outputs"]
                : overlapWith >= 0 ? ["y", names[overlapWith]] : [names[which]];
            return Names(() => Linear.Forward(rows ?? d.M, inputs ?? d.K, outputs ?? d.N, spans[0].Span, spans[1].Span, spans[2].Span, spans[3].Span), expected);
        }

        yield return new(forward, Length, (d, arena) => LinearForward(d, arena, d.Choice % 4, d.Choice % 8 < 4 ? d.Short : -d.Short));
        yield return new(forward, Zero, (d, arena) => Pick(d, 3) switch
        {
            0 => LinearForward(d, arena, -1, 0, rows: 0),
            1 => LinearForward(d, arena, -1, 0, inputs: 0),
            _ => LinearForward(d, arena, -1, 0, outputs: 0),
        });
        yield return new(forward, Negative, (d, arena) => Pick(d, 3) switch
        {
            0 => LinearForward(d, arena, -1, 0, rows: d.Negative),
            1 => LinearForward(d, arena, -1, 0, inputs: d.Negative),
            _ => LinearForward(d, arena, -1, 0, outputs: d.Negative),
        });
        yield return new(forward, Overflow, (d, arena) =>
        {
            Memory<float> x = arena.Take(64), w = arena.Take(64), b = arena.Take(d.N), y = arena.Take(64);
            return Names(() => Linear.Forward(d.Big, d.Big, d.N, x.Span, w.Span, b.Span, y.Span), "x", "weight", "y");
        });
        yield return new(forward, Overlap, (d, arena) => LinearForward(d, arena, -1, 0, overlapWith: d.Variant), Variants: 3);
        yield return new(forward, Scalar, (d, arena) =>
        {
            Memory<float> x = arena.Take(d.M * d.K), w = arena.Take(d.N * d.K), b = arena.Take(d.N), y = arena.Take(d.M * d.N);
            int threads = d.Choice % 2 == 0 ? 0 : Math.Min(-2, d.Negative);
            return Names(() => Linear.Forward(d.M, d.K, d.N, x.Span, w.Span, b.Span, y.Span, threads), "maxDegreeOfParallelism");
        });

        // Backward: x (rows x in), weight (out x in), dy (rows x out) in; dx (rows x in), weightGradient (out x in), biasGradient (out) out.
        static Invalid LinearBackward(Draw d, Arena arena, int which, int delta, int? rows = null, int? outputs = null, (int Output, int Other) overlap = default)
        {
            int[] lengths = [d.M * d.K, d.N * d.K, d.M * d.N, d.M * d.K, d.N * d.K, d.N];
            if (which >= 0) lengths[which] += delta;
            var spans = new Memory<float>[6];
            for (int i = 0; i < 6; i++)
                spans[i] = overlap.Output == i && overlap.Output != overlap.Other
                    ? arena.Overlapping(spans[overlap.Other], d.Shift % lengths[overlap.Other], lengths[i])
                    : arena.Take(Math.Max(lengths[i], 0));
            string[] names = ["x", "weight", "dy", "dx", "weightGradient", "biasGradient"];
            string[] expected = rows is not null ? ["rows"] : outputs is not null ? ["outputs"]
                : overlap.Output != overlap.Other ? [names[overlap.Output], names[overlap.Other]] : [names[which]];
            return Names(() => Linear.Backward(rows ?? d.M, d.K, outputs ?? d.N, spans[0].Span, spans[1].Span, spans[2].Span, spans[3].Span,
                spans[4].Span, spans[5].Span), expected);
        }

        yield return new(backward, Length, (d, arena) => LinearBackward(d, arena, d.Choice % 6, d.Choice % 12 < 6 ? d.Short : -d.Short));
        yield return new(backward, Zero, (d, arena) => d.Choice % 2 == 0 ? LinearBackward(d, arena, -1, 0, rows: 0) : LinearBackward(d, arena, -1, 0, outputs: 0));
        yield return new(backward, Negative, (d, arena) => LinearBackward(d, arena, -1, 0, rows: d.Negative));
        yield return new(backward, Scalar, (d, arena) =>
        {
            Memory<float> x = arena.Take(d.M * d.K), w = arena.Take(d.N * d.K), dy = arena.Take(d.M * d.N);
            Memory<float> dx = arena.Take(d.M * d.K), dw = arena.Take(d.N * d.K), db = arena.Take(d.N);
            int threads = d.Choice % 2 == 0 ? 0 : Math.Min(-2, d.Negative);
            return Names(() => Linear.Backward(d.M, d.K, d.N, x.Span, w.Span, dy.Span, dx.Span, dw.Span, db.Span, threads), "maxDegreeOfParallelism");
        });
        // Every output against every span before it (inputs and earlier outputs).
        yield return new(backward, Overlap, (d, arena) => LinearBackward(d, arena, -1, 0, overlap: PairOf(d.Variant, 3, 5)), Variants: PairCount(3, 5));

        yield return new(softmax, Zero, (d, arena) =>
        {
            Memory<float> logits = arena.Take(d.M), dLogits = arena.Take(d.M);
            return Names(() => SoftmaxCrossEntropy.ForwardBackward(logits.Span, new int[d.M], dLogits.Span, d.Choice % 2 == 0 ? 0 : d.Negative), "classes");
        });
        yield return new(softmax, Length, (d, arena) =>
        {
            bool logitsWrong = d.Choice % 2 == 0;
            Memory<float> logits = arena.Take(d.M * d.N + (logitsWrong ? -d.Short : 0)), dLogits = arena.Take(d.M * d.N + (logitsWrong ? 0 : d.Short));
            return Names(() => SoftmaxCrossEntropy.ForwardBackward(logits.Span, new int[d.M], dLogits.Span, d.N), logitsWrong ? "logits" : "dLogits");
        });
        yield return new(softmax, Overflow, (d, arena) =>
        {
            Memory<float> logits = arena.Take(64), dLogits = arena.Take(64);
            return Names(() => SoftmaxCrossEntropy.ForwardBackward(logits.Span, new int[d.M + 1], dLogits.Span, d.Big), "logits");
        });
        yield return new(softmax, Overlap, (d, arena) =>
        {
            int classes = d.N + 1;
            Memory<float> logits = arena.Take(d.M * classes), dLogits = arena.Overlapping(logits, PartialShift(d, d.M * classes), d.M * classes);
            return Names(() => SoftmaxCrossEntropy.ForwardBackward(logits.Span, new int[d.M], dLogits.Span, classes), "dLogits", "logits");
        });
        yield return new(softmax, Scalar, (d, arena) =>
        {
            Memory<float> logits = arena.Take(d.M * d.N), dLogits = arena.Take(d.M * d.N);
            int[] targets = new int[d.M];
            targets[d.Choice % d.M] = d.Choice % 2 == 0 ? d.N + d.Choice : d.Negative;
            return Names(() => SoftmaxCrossEntropy.ForwardBackward(logits.Span, targets, dLogits.Span, d.N), "targets");
        });

        yield return new(sgd, Length, (d, arena) =>
        {
            Memory<float> p = arena.Take(d.M * d.N), g = arena.Take(d.M * d.N + (d.Choice % 2 == 0 ? d.Short : -d.Short));
            return Names(() => Optimizer.SgdStep(p.Span, g.Span, 0.1f), "gradients", "parameters");
        });
        yield return new(sgd, Overlap, (d, arena) =>
        {
            // Exact in-place use (p -= lr p) is allowed; a shifted overlap is not.
            Memory<float> p = arena.Take(d.M * d.N + 1), g = arena.Overlapping(p, PartialShift(d, d.M * d.N + 1), d.M * d.N + 1);
            return Names(() => Optimizer.SgdStep(p.Span, g.Span, 0.1f), "gradients", "parameters");
        });

        // Adam: parameters, gradients, m, v.
        static Invalid Adam(Draw d, Arena arena, int which, int delta, int step = 1, (int Later, int Earlier) overlap = default)
        {
            string[] names = ["parameters", "gradients", "m", "v"];
            int length = d.M * d.N + 1;
            var spans = new Memory<float>[4];
            for (int i = 0; i < 4; i++)
                spans[i] = overlap.Later == i && overlap.Later != overlap.Earlier
                    ? arena.Overlapping(spans[overlap.Earlier], overlap.Earlier == 1 || overlap.Later == 1 ? PartialShift(d, length) : d.Shift % length, length)
                    : arena.Take(length + (i == which ? delta : 0));
            string[] expected = step < 1 ? ["step"] : overlap.Later != overlap.Earlier ? [names[overlap.Later], names[overlap.Earlier]] : [names[which]];
            return Names(() => Optimizer.AdamStep(spans[0].Span, spans[1].Span, spans[2].Span, spans[3].Span, step, 1e-3f), expected);
        }

        yield return new(adam, Length, (d, arena) => Adam(d, arena, 1 + d.Choice % 3, d.Choice % 6 < 3 ? d.Short : -d.Short));
        yield return new(adam, Scalar, (d, arena) => Adam(d, arena, -1, 0, step: d.Choice % 2 == 0 ? 0 : d.Negative));
        // Every pair except an exact alias of the read-only gradient (allowed, like an in-place activation): shift >= 1.
        yield return new(adam, Overlap, (d, arena) => Adam(d, arena, -1, 0, overlap: PairOf(d.Variant, 1, 3)), Variants: PairCount(1, 3));

        yield return new(clipValue, Scalar, (d, arena) =>
        {
            Memory<float> g = arena.Take(d.M * d.N);
            float limit = Pick(d, 3) switch { 0 => float.NaN, 1 => -d.Short, _ => float.NegativeInfinity };
            return Names(() => GradientClipping.ClipByValue(g.Span, limit), "limit");
        });
        yield return new(clipNorm, Scalar, (d, arena) =>
        {
            Memory<float> g = arena.Take(d.M * d.N);
            float maxNorm = Pick(d, 3) switch { 0 => float.NaN, 1 => -d.Short, _ => 0f };
            return Names(() => GradientClipping.ClipByGlobalNorm(new[] { g }, maxNorm), "maxNorm");
        });
        // The same memory twice (or overlapping) would be scaled twice.
        yield return new(clipNorm, Overlap, (d, arena) =>
        {
            Memory<float> first = arena.Take(d.M * d.N), other = arena.Take(d.N), second = arena.Overlapping(first, d.Shift % (d.M * d.N), d.M * d.N);
            // Values large enough that the norm exceeds maxNorm (so a missing check would scale them).
            first.Span.Fill(10f);
            return Names(() => GradientClipping.ClipByGlobalNorm(new[] { first, other, second }, 1f), "gradients");
        });
    }

    private static IEnumerable<Maker> StackCases()
    {
        const string stackNew = "new RecurrentStack", parametersNew = "new RecurrentParameters", workspace = "RecurrentStack.WorkspaceLength";
        const string forward = "RecurrentStack.Forward", backward = "RecurrentStack.Backward", parameters = "RecurrentParameters members";

        yield return new(stackNew, Zero, (d, _) => Pick(d, 3) switch
        {
            0 => Names(() => new RecurrentStack(CellKind.Lstm, 0, d.N), "inputSize"),
            1 => Names(() => new RecurrentStack(CellKind.Gru, d.M, 0), "hiddenSize"),
            _ => Names(() => new RecurrentStack(CellKind.RnnTanh, d.M, d.N, 0), "layers"),
        });
        yield return new(stackNew, Negative, (d, _) => Pick(d, 3) switch
        {
            0 => Names(() => new RecurrentStack(CellKind.Lstm, d.Negative, d.N), "inputSize"),
            1 => Names(() => new RecurrentStack(CellKind.Gru, d.M, d.Negative), "hiddenSize"),
            _ => Names(() => new RecurrentStack(CellKind.RnnRelu, d.M, d.N, d.Negative), "layers"),
        });
        yield return new(stackNew, Enum, (d, _) => Names(() => new RecurrentStack((CellKind)(4 + d.Choice), d.M, d.N), "cell"));
        // The GRU's reset-first form asked of another cell, or weights packed for the other GRU form.
        yield return new(stackNew, Mismatch, (d, _) =>
        {
            CellKind[] notGru = [CellKind.Lstm, CellKind.RnnTanh, CellKind.RnnRelu];
            var resetFirst = new RecurrentStackOptions { LinearBeforeReset = false };
            var stack = new RecurrentStack(CellKind.Gru, d.M, d.N, options: d.Seed % 2 == 0 ? resetFirst : null);
            PreparedWeights otherForm = new RecurrentStack(CellKind.Gru, d.M, d.N, options: d.Seed % 2 == 0 ? null : resetFirst)
                .Prepare(stack.CreateParameters(), training: true);
            return Pick(d, 3) switch
            {
                0 => Names(() => new RecurrentStack(notGru[d.Choice / 3 % 3], d.M, d.N, options: resetFirst), "options"),
                1 => Names(() => stack.Forward(1, 1, [], [], [], otherForm, [], [], [], [], training: false), "weights"),
                _ => Names(() => new RecurrentSession(stack, otherForm, 1), "weights"),
            };
        });
        // Dropout must be a probability in [0, 1): 1 would zero everything (and scale by infinity).
        yield return new("new RecurrentStackOptions", Scalar, (d, _) =>
        {
            float dropout = Pick(d, 7) switch
            {
                0 => float.NaN, 1 => 1f, 2 => 1f + d.M, 3 => -float.Epsilon, 4 => float.PositiveInfinity, 5 => float.NegativeInfinity, _ => -0.5f * d.N,
            };
            return Names(() => GC.KeepAlive(new RecurrentStackOptions { Dropout = dropout }), "Dropout");
        });
        yield return new(parametersNew, Zero, (d, _) => Pick(d, 3) switch
        {
            0 => Names(() => new RecurrentParameters(CellKind.Lstm, 0, d.N), "inputSize"),
            1 => Names(() => new RecurrentParameters(CellKind.Gru, d.M, 0, bidirectional: true), "hiddenSize"),
            _ => Names(() => new RecurrentParameters(CellKind.RnnTanh, d.M, d.N, 0), "layers"),
        });
        yield return new(parametersNew, Enum, (d, _) => Names(() => new RecurrentParameters((CellKind)(-1 - d.Choice), d.M, d.N), "cell"));
        // A projection outside [0, H), or on a cell other than LSTM (PyTorch's proj_size): the argument that carries it is named.
        yield return new(stackNew, Scalar, (d, _) => Pick(d, 3) switch
        {
            0 => Names(() => new RecurrentStack(CellKind.Lstm, d.M, d.N, options: new RecurrentStackOptions { ProjectionSize = d.N + d.Choice % 3 }), "options"),
            1 => Names(() => new RecurrentStack(CellKind.Lstm, d.M, d.N, options: new RecurrentStackOptions { ProjectionSize = d.Negative }), "options"),
            _ => Names(() => new RecurrentStack((CellKind)(1 + d.Choice % 3), d.M, d.N + 1, options: new RecurrentStackOptions { ProjectionSize = 1 + d.M % d.N }),
                "options"),
        });
        yield return new("RecurrentStack.MaxDegreeOfParallelism", Scalar, (d, _) =>
            Names(() => GC.KeepAlive(new RecurrentStack(CellKind.Gru, d.M, d.N) { MaxDegreeOfParallelism = d.Choice % 2 == 0 ? 0 : Math.Min(-2, d.Negative) }),
                "MaxDegreeOfParallelism"));
        yield return new(parametersNew, Scalar, (d, _) => Pick(d, 3) switch
        {
            0 => Names(() => new RecurrentParameters(CellKind.Lstm, d.M, d.N, projectionSize: d.N + d.Choice % 3), "projectionSize"),
            1 => Names(() => new RecurrentParameters(CellKind.Lstm, d.M, d.N, projectionSize: d.Negative), "projectionSize"),
            _ => Names(() => new RecurrentParameters((CellKind)(1 + d.Choice % 3), d.M, d.N + 1, projectionSize: 1 + d.M % d.N), "projectionSize"),
        });
        yield return new(parametersNew, Overflow, (d, _) => Pick(d, 3) switch
        {
            0 => Names(() => new RecurrentParameters(CellKind.Lstm, d.M, d.Big), "inputSize", "hiddenSize", "layers"),
            1 => Names(() => new RecurrentParameters(CellKind.RnnTanh, d.Big, d.N, int.MaxValue / 2 + d.Big / 2, true), "inputSize", "hiddenSize", "layers"),
            _ => Names(() => new RecurrentParameters(CellKind.Gru, d.M, d.N, d.Big / 4 + 1 + int.MaxValue / 16, true), "inputSize", "hiddenSize", "layers"),
        });
        yield return new(workspace, Zero, (d, _) => d.Choice % 2 == 0
            ? Names(() => new RecurrentStack(CellKind.Lstm, d.M, d.N).WorkspaceLength(0, d.K), "steps")
            : Names(() => new RecurrentStack(CellKind.Lstm, d.M, d.N).WorkspaceLength(d.K, d.Negative), "batch"));
        yield return new(workspace, Overflow, (d, _) => Pick(d, 3) switch
        {
            0 => Names(() => new RecurrentStack(CellKind.Lstm, d.M, d.N).WorkspaceLength(d.Big, d.Big), "steps", "batch"),
            1 => Names(() => new RecurrentStack(CellKind.Gru, d.M, d.Big, 2, true).WorkspaceLength(d.K, d.Big), "steps", "batch"),
            _ => Names(() => new RecurrentStack(CellKind.RnnTanh, d.Big, d.N).WorkspaceLength(d.Big, 1), "steps", "batch"),
        });
        yield return new(parameters, Null, (d, _) =>
        {
            RecurrentParameters p = new(CellKind.Lstm, d.M, d.N);
            return Pick(d, 3) switch
            {
                0 => Names(() => p[null!].Span.Clear(), "name"),
                1 => Names(() => p.Shape(null!), "name"),
                _ => Names(() => p.HasSameShape(null!), "other"),
            };
        });

        foreach (Maker maker in StackCallCases(forward, backward)) yield return maker;
        foreach (Maker maker in SessionCases()) yield return maker;
    }

    private static IEnumerable<Maker> SessionCases()
    {
        const string session = "new RecurrentSession", step = "RecurrentSession.Step / Run / ResetRow";
        static (RecurrentStack Stack, PreparedWeights Weights) Stack(Draw d)
        {
            var stack = new RecurrentStack((CellKind)(d.Choice % 4), 1 + d.M % 5, 1 + d.N % 5, 1 + d.Choice / 4 % 2);
            return (stack, stack.Prepare(stack.CreateParameters()));
        }

        yield return new(session, Null, (d, _) =>
        {
            var (stack, weights) = Stack(d);
            return d.Seed % 2 == 0 ? Names(() => new RecurrentSession(null!, weights, 1), "stack") : Names(() => new RecurrentSession(stack, null!, 1), "weights");
        });
        yield return new(session, Zero, (d, _) =>
        {
            var (stack, weights) = Stack(d);
            return d.Seed % 2 == 0 ? Names(() => new RecurrentSession(stack, weights, 0), "batch") : Names(() => new RecurrentSession(stack, weights, 1, 0), "maxSteps");
        });
        yield return new(session, Negative, (d, _) =>
        {
            var (stack, weights) = Stack(d);
            return d.Seed % 2 == 0 ? Names(() => new RecurrentSession(stack, weights, d.Negative), "batch")
                : Names(() => new RecurrentSession(stack, weights, 1, d.Negative), "maxSteps");
        });
        yield return new(session, Mismatch, (d, _) =>
        {
            var (stack, weights) = Stack(d);
            var bidirectional = new RecurrentStack(stack.Cell, stack.InputSize, stack.HiddenSize, bidirectional: true);
            var other = new RecurrentStack(stack.Cell, stack.InputSize, stack.HiddenSize + 1, stack.Layers);
            return d.Seed % 2 == 0 ? Names(() => new RecurrentSession(bidirectional, bidirectional.Prepare(bidirectional.CreateParameters()), 1), "stack")
                : Names(() => new RecurrentSession(other, weights, 1), "weights");
        });
        yield return new(step, Length, (d, arena) =>
        {
            var (stack, weights) = Stack(d);
            int batch = 1 + d.K % 3, steps = 1 + d.Seed % 3;
            var call = new RecurrentSession(stack, weights, batch, maxSteps: 3);
            bool wrongX = d.Choice / 8 % 2 == 0;
            int delta = d.Choice / 16 % 2 == 0 ? d.Short : -Math.Min(d.Short, steps * batch * stack.InputSize);
            Memory<float> x = arena.Take(steps * batch * stack.InputSize + (wrongX ? delta : 0));
            Memory<float> y = arena.Take(Math.Max(0, steps * batch * stack.HiddenSize + (wrongX ? 0 : -d.Short)));
            return Names(() => call.Run(steps, x.Span, y.Span), wrongX ? "x" : "y");
        });
        yield return new(step, Scalar, (d, arena) =>
        {
            var (stack, weights) = Stack(d);
            var call = new RecurrentSession(stack, weights, 2, maxSteps: 2);
            Memory<float> x = arena.Take(4 * stack.InputSize), y = arena.Take(4 * stack.HiddenSize);
            return Pick(d, 3) switch
            {
                0 => Names(() => call.Run(3 + d.K, x.Span, y.Span), "steps"),
                1 => Names(() => call.Run(d.Choice % 2 == 0 ? 0 : d.Negative, x.Span, y.Span), "steps"),
                _ => Names(() => call.ResetRow(d.Choice % 2 == 0 ? 2 + d.K : d.Negative), "row"),
            };
        });
    }

    private static IEnumerable<Maker> SafetensorsCases()
    {
        const string load = "RecurrentParameters.LoadSafetensors", read = "RecurrentParameters.ReadSafetensors",
            write = "RecurrentParameters.WriteSafetensors", reader = "SafetensorsReader", writer = "SafetensorsWriter.Write",
            tensor = "new SafetensorsTensor";

        // Parameters of a random stack (tracked: a rejected read must not write them) and a valid file of them.
        static (RecurrentParameters Parameters, byte[] File) Stack(Draw d, Arena arena)
        {
            var parameters = new RecurrentParameters((CellKind)(d.Choice % 4), 1 + d.M % 4, 1 + d.N % 4, 1 + d.K % 2, d.Seed % 2 == 1);
            new Random(d.Seed).NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(parameters.All.AsSpan()));
            var file = new MemoryStream();
            parameters.WriteSafetensors(file, "rnn.");
            return (arena.Track(parameters, parameters.All), file.ToArray());
        }

        // For reading, a closed stream; for writing, a read-only or a closed one.
        static Stream UnusableStream(Draw d, byte[] content, bool forReading)
        {
            var stream = new MemoryStream(content, writable: false);
            if (forReading || d.Seed % 2 == 0) stream.Dispose();
            return stream;
        }

        // Tensors over arena memory (tracked by the arena: a rejected read must not write them).
        static SafetensorsTensor[] Tensors(Draw d, Arena arena, int count) =>
            [.. Enumerable.Range(0, count).Select(i => new SafetensorsTensor($"t{i}", [d.M, 1 + i], arena.Take(d.M * (1 + i))))];

        yield return new(load, Null, (d, arena) =>
        {
            byte[] file = Stack(d, arena).File;
            return Pick(d, 3) switch
            {
                0 => Names(() => RecurrentParameters.LoadSafetensors((Stream)null!), "stream"),
                1 => Names(() => RecurrentParameters.LoadSafetensors((string)null!), "path"),
                _ => Names(() => RecurrentParameters.LoadSafetensors(new MemoryStream(file), null!), "prefix"),
            };
        });
        yield return new(load, Enum, (d, arena) =>
        {
            byte[] file = Stack(d, arena).File;
            return Names(() => RecurrentParameters.LoadSafetensors(new MemoryStream(file), "rnn.", (CellKind)(4 + d.Choice)), "cell");
        });
        yield return new(load, Unusable, (d, arena) =>
        {
            Stream stream = UnusableStream(d, Stack(d, arena).File, forReading: true);
            return Names(() => RecurrentParameters.LoadSafetensors(stream, "rnn."), "stream");
        });
        yield return new(read, Null, (d, arena) =>
        {
            (RecurrentParameters parameters, byte[] file) = Stack(d, arena);
            return d.Seed % 2 == 0 ? Names(() => parameters.ReadSafetensors(null!), "stream")
                : Names(() => parameters.ReadSafetensors(new MemoryStream(file), null!), "prefix");
        });
        yield return new(read, Unusable, (d, arena) =>
        {
            (RecurrentParameters parameters, byte[] file) = Stack(d, arena);
            Stream stream = UnusableStream(d, file, forReading: true);
            return Names(() => parameters.ReadSafetensors(stream, "rnn."), "stream");
        });
        yield return new(write, Null, (d, arena) =>
        {
            RecurrentParameters parameters = Stack(d, arena).Parameters;
            MemoryStream stream = arena.TrackedStream();
            return Pick(d, 3) switch
            {
                0 => Names(() => parameters.WriteSafetensors(null!), "stream"),
                1 => Names(() => parameters.WriteSafetensors(stream, null!), "prefix"),
                _ => Names(() => parameters.WriteSafetensors(stream, "rnn.", new Dictionary<string, string> { ["note"] = null! }), "metadata"),
            };
        });
        yield return new(write, Unusable, (d, arena) =>
        {
            RecurrentParameters parameters = Stack(d, arena).Parameters;
            Stream stream = UnusableStream(d, [1, 2, 3], forReading: false);
            return Names(() => parameters.WriteSafetensors(stream, "rnn."), "stream");
        });
        // The cell the file records must be the parameters' own.
        yield return new(write, Mismatch, (d, arena) =>
        {
            RecurrentParameters parameters = Stack(d, arena).Parameters;
            MemoryStream stream = arena.TrackedStream();
            var other = (CellKind)((d.Choice % 4 + 1 + d.Shift % 3) % 4);
            return Names(() => parameters.WriteSafetensors(stream, "rnn.", new Dictionary<string, string> { ["rnn.cell"] = other.ToString() }), "metadata");
        });

        yield return new(reader, Null, (d, arena) =>
        {
            byte[] file = Stack(d, arena).File;
            return Pick(d, 5) switch
            {
                0 => Names(() => new SafetensorsReader((Stream)null!), "stream"),
                1 => Names(() => new SafetensorsReader((string)null!), "path"),
                2 => Names(() => new SafetensorsReader(new MemoryStream(file)).Read(null!), "tensors"),
                3 => Names(() => new SafetensorsReader(new MemoryStream(file)).Read([], null!), "prefix"),
                _ => Names(() => new SafetensorsReader(new MemoryStream(file)).Read([.. Tensors(d, arena, 2), null!]), "tensors"),
            };
        });
        yield return new(reader, Unusable, (d, arena) =>
        {
            Stream stream = UnusableStream(d, Stack(d, arena).File, forReading: true);
            return Names(() => new SafetensorsReader(stream), "stream");
        });
        yield return new(reader, Overlap, (d, arena) =>
        {
            byte[] file = Stack(d, arena).File;
            Memory<float> first = arena.Take(d.M * d.N);
            var tensors = new[]
            {
                new SafetensorsTensor("rnn.a", [d.M * d.N], first), new SafetensorsTensor("rnn.b", [d.M * d.N], arena.Overlapping(first, d.Shift % (d.M * d.N), d.M * d.N)),
            };
            return Names(() => new SafetensorsReader(new MemoryStream(file)).Read(tensors, "rnn."), "tensors");
        });
        // A name twice, or a name outside the prefix that the read matches exactly.
        yield return new(reader, Mismatch, (d, arena) =>
        {
            byte[] file = Stack(d, arena).File;
            SafetensorsTensor[] tensors = Tensors(d, arena, 2);
            return d.Seed % 2 == 0
                ? Names(() => new SafetensorsReader(new MemoryStream(file)).Read([tensors[0], new SafetensorsTensor("t0", [d.M, 2], tensors[1].Values)]), "tensors")
                : Names(() => new SafetensorsReader(new MemoryStream(file)).Read(tensors, "rnn."), "tensors");
        });

        yield return new(writer, Null, (d, arena) =>
        {
            MemoryStream stream = arena.TrackedStream();
            SafetensorsTensor[] tensors = Tensors(d, arena, 2);
            return Pick(d, 4) switch
            {
                0 => Names(() => SafetensorsWriter.Write(null!, tensors), "stream"),
                1 => Names(() => SafetensorsWriter.Write(stream, null!), "tensors"),
                2 => Names(() => SafetensorsWriter.Write(stream, [tensors[0], null!]), "tensors"),
                _ => Names(() => SafetensorsWriter.Write(stream, tensors, new Dictionary<string, string> { ["a"] = "b", ["c"] = null! }), "metadata"),
            };
        });
        yield return new(writer, Unusable, (d, arena) =>
        {
            Stream stream = UnusableStream(d, [], forReading: false);
            return Names(() => SafetensorsWriter.Write(stream, Tensors(d, arena, 1)), "stream");
        });
        yield return new(writer, Mismatch, (d, arena) =>
        {
            MemoryStream stream = arena.TrackedStream();
            SafetensorsTensor[] tensors = Tensors(d, arena, 2);
            var renamed = new SafetensorsTensor(d.Seed % 2 == 0 ? "t0" : "__metadata__", [d.M, 2], tensors[1].Values);
            return Names(() => SafetensorsWriter.Write(stream, [tensors[0], renamed]), "tensors");
        });

        yield return new(tensor, Null, (d, arena) =>
        {
            Memory<float> values = arena.Take(d.M);
            return Names(() => _ = new SafetensorsTensor(null!, [d.M], values), "name");
        });
        yield return new(tensor, Negative, (d, arena) =>
        {
            Memory<float> values = arena.Take(d.M);
            return Names(() => _ = new SafetensorsTensor("t", [d.M, d.Negative], values), "shape");
        });
        yield return new(tensor, Length, (d, arena) =>
        {
            Memory<float> values = arena.Take(d.M * d.N + (d.Choice % 2 == 0 ? d.Short : -d.Short));
            return Names(() => _ = new SafetensorsTensor("t", [d.M, d.N], values), "values");
        });
        yield return new(tensor, Overflow, (d, arena) =>
        {
            Memory<float> values = arena.Take(64);
            return Names(() => _ = new SafetensorsTensor("t", [d.Big, d.Big, 1 + d.Choice], values), "values");
        });
    }

    /// <summary>A valid stack call (random cell, sizes, layers, directions) with one argument made invalid.</summary>
    private sealed class StackCall
    {
        // Forward: x, h0, c0 in; y, hT, cT, workspace out. Backward: x, h0, y, dy, dhT, dcT in; dx, dh0, dc0, workspace out.
        public static readonly string[] ForwardNames = ["x", "h0", "c0", "y", "hT", "cT", "workspace"];
        public static readonly string[] BackwardNames = ["x", "h0", "y", "dy", "dhT", "dcT", "dx", "dh0", "dc0", "workspace"];
        public readonly RecurrentStack Stack;
        public readonly RecurrentParameters Parameters, Gradients;
        public readonly int Steps, Batch;
        private readonly int[] _forwardLengths, _backwardLengths;

        /// <summary>A stack of a drawn cell (an LSTM when <paramref name="lstm"/>: its c spans are not empty) and sizes.</summary>
        public StackCall(Draw d, Arena arena, bool lstm = false)
        {
            var cell = lstm ? CellKind.Lstm : (CellKind)(d.Choice % 4);
            Stack = new RecurrentStack(cell, 1 + d.M % 5, 1 + d.N % 5, 1 + d.Choice / 4 % 2, d.Choice / 8 % 2 == 1, Options(d));
            Parameters = Stack.CreateParameters();
            Gradients = Stack.CreateParameters();
            arena.Track(Parameters, Parameters.All);
            arena.Track(Gradients, Gradients.All);
            Steps = 1 + d.K % 4;
            Batch = 1 + d.Seed % 3;
            int state = Stack.Layers * Stack.Directions * Batch * Stack.HiddenSize, c = cell == CellKind.Lstm ? state : 0;
            int xLength = Steps * Batch * Stack.InputSize, yLength = Steps * Batch * Stack.Directions * Stack.HiddenSize;
            // Forward runs in training or inference mode, each with its own (exact) workspace length; backward needs training's.
            // Half the calls take prepared weights (their workspaces have no pack scratch).
            Training = d.Choice / 16 % 2 == 0;
            Prepared = d.Choice / 32 % 2 == 0 ? Stack.Prepare(Parameters, training: true) : null;
            bool prepared = Prepared is not null;
            _forwardLengths = [xLength, state, c, yLength, state, c, (int)Stack.WorkspaceLength(Steps, Batch, Training, prepared)];
            _backwardLengths = [xLength, state, yLength, yLength, state, c, xLength, state, c, (int)Stack.WorkspaceLength(Steps, Batch, true, prepared)];
        }

        public bool Lstm => Stack.Cell == CellKind.Lstm;

        /// <summary>Biases in two calls of three, batch-first in half, dropout in half.</summary>
        private static RecurrentStackOptions Options(Draw d) =>
            new() { Bias = d.Seed / 7 % 3 != 0, BatchFirst = d.Seed / 5 % 2 == 0, Dropout = d.Seed / 11 % 2 == 0 ? 0.5f : 0f };

        /// <summary>Parameters of the stack's shape but the other bias setting: refused as another shape.</summary>
        public RecurrentParameters OtherBias() =>
            new(Stack.Cell, Stack.InputSize, Stack.HiddenSize, Stack.Layers, Stack.Directions == 2, bias: !Stack.Bias);

        public bool Training { get; }

        /// <summary>The parameters prepared for training, or null: the calls take the parameters.</summary>
        public PreparedWeights? Prepared { get; }

        public int BackwardLength(int which) => _backwardLengths[which];

        /// <summary>A valid call and its spans (forward's or backward's).</summary>
        public static (StackCall Call, Memory<float>[] Spans) Valid(Draw d, Arena arena, bool backward)
        {
            var call = new StackCall(d, arena);
            return (call, call.Spans(arena, backward, -1, 0, -1, 0));
        }

        /// <summary>The spans, with span <paramref name="which"/> lengthened by delta or made to overlap span <paramref name="overlapWith"/>.</summary>
        public Memory<float>[] Spans(Arena arena, bool backward, int which, int delta, int overlapWith, int shift)
        {
            int[] lengths = (int[])(backward ? _backwardLengths : _forwardLengths).Clone();
            if (which >= 0 && overlapWith < 0) lengths[which] = Math.Max(0, lengths[which] + delta);
            var spans = new Memory<float>[lengths.Length];
            for (int i = 0; i < lengths.Length; i++)
                spans[i] = i == which && overlapWith >= 0 ? arena.Overlapping(spans[overlapWith], shift % lengths[overlapWith], lengths[i]) : arena.Take(lengths[i]);
            return spans;
        }

        /// <summary>The call with the valid parameters unless others are given (<see cref="Null"/> for a null reference).</summary>
        /// <summary>The call with the valid parameters (prepared, when this call prepared them) unless others are given.</summary>
        public void Forward(Memory<float>[] s, RecurrentParameters? parameters = null, int? steps = null, int? batch = null, int[]? lengths = null)
        {
            if (Prepared is not null && parameters is null)
                Stack.Forward(steps ?? Steps, batch ?? Batch, s[0].Span, s[1].Span, s[2].Span, Prepared, s[3].Span, s[4].Span, s[5].Span, s[6].Span, Training,
                    lengths);
            else
                Stack.Forward(steps ?? Steps, batch ?? Batch, s[0].Span, s[1].Span, s[2].Span, Pick(parameters, Parameters), s[3].Span, s[4].Span, s[5].Span,
                    s[6].Span, Training, lengths);
        }

        public void Backward(Memory<float>[] s, RecurrentParameters? parameters = null, RecurrentParameters? gradients = null, int[]? lengths = null)
        {
            if (Prepared is not null && parameters is null)
                Stack.Backward(Steps, Batch, s[0].Span, s[1].Span, Prepared, s[2].Span, s[3].Span, s[4].Span, s[5].Span,
                    s[6].Span, s[7].Span, s[8].Span, Pick(gradients, Gradients), s[9].Span, lengths);
            else
                Stack.Backward(Steps, Batch, s[0].Span, s[1].Span, Pick(parameters, Parameters), s[2].Span, s[3].Span, s[4].Span, s[5].Span,
                    s[6].Span, s[7].Span, s[8].Span, Pick(gradients, Gradients), s[9].Span, lengths);
        }

        /// <summary>Lengths that are valid but for one fault: the wrong count (too many), or one length of 0, past T or negative.</summary>
        public int[] InvalidLengths(Draw d)
        {
            int[] lengths = [.. Enumerable.Range(0, d.Choice % 4 == 0 ? Batch + 1 + d.Short % 3 : Batch).Select(i => 1 + (d.Seed % Steps + i) % Steps)];
            int row = d.Shift % lengths.Length;
            lengths[row] = (d.Choice % 4) switch { 0 => lengths[row], 1 => 0, 2 => Steps + 1 + d.Short, _ => d.Negative };
            return lengths;
        }

        /// <summary>The prepared overloads with weights that cannot serve the call: null, or (backward) prepared for inference only.</summary>
        public void ForwardWithNullWeights(Memory<float>[] s) =>
            Stack.Forward(Steps, Batch, s[0].Span, s[1].Span, s[2].Span, (PreparedWeights)null!, s[3].Span, s[4].Span, s[5].Span, s[6].Span, Training);

        public void BackwardWithInferenceWeights(Memory<float>[] s) =>
            Stack.Backward(Steps, Batch, s[0].Span, s[1].Span, Stack.Prepare(Parameters), s[2].Span, s[3].Span, s[4].Span, s[5].Span,
                s[6].Span, s[7].Span, s[8].Span, Gradients, s[9].Span);

        public static readonly RecurrentParameters Null = new(CellKind.RnnTanh, 1, 1);

        private static RecurrentParameters Pick(RecurrentParameters? given, RecurrentParameters valid) =>
            ReferenceEquals(given, Null) ? null! : given ?? valid;
    }

    private static IEnumerable<Maker> StackCallCases(string forward, string backward)
    {
        // A span too short or too long (the workspace: too short; c0 / cT / dcT / dc0 only matter for LSTM, other cells
        // ignore them, so x is changed instead).
        static Invalid WrongLength(Draw d, Arena arena, bool backward)
        {
            var call = new StackCall(d, arena);
            string[] names = backward ? StackCall.BackwardNames : StackCall.ForwardNames;
            int which = d.Seed % names.Length;
            if (names[which] is "c0" or "cT" or "dcT" or "dc0" && !call.Lstm) which = 0;
            int delta = names[which] == "workspace" || d.Choice % 2 == 0 ? -d.Short : d.Short;
            // An empty dx is valid (backward then skips the input gradient): a dx shortened to nothing is made too long instead.
            if (backward && names[which] == "dx" && call.BackwardLength(which) + delta <= 0) delta = d.Short;
            Memory<float>[] s = call.Spans(arena, backward, which, delta, -1, 0);
            return Names(backward ? () => call.Backward(s) : () => call.Forward(s), names[which]);
        }

        yield return new(forward, Length, (d, arena) => WrongLength(d, arena, backward: false));
        yield return new(forward, Zero, (d, arena) =>
        {
            var (call, s) = StackCall.Valid(d, arena, backward: false);
            return d.Seed % 2 == 0 ? Names(() => call.Forward(s, steps: 0), "steps") : Names(() => call.Forward(s, batch: d.Negative), "batch");
        });
        yield return new(forward, Overflow, (d, arena) =>
        {
            var (call, s) = StackCall.Valid(d, arena, backward: false);
            return Names(() => call.Forward(s, steps: d.Big, batch: d.Big), "steps", "batch", "x", "workspace");
        });
        yield return new(forward, Null, (d, arena) =>
        {
            var (call, s) = StackCall.Valid(d, arena, backward: false);
            return d.Seed % 2 == 0 ? Names(() => call.Forward(s, parameters: StackCall.Null), "parameters") : Names(() => call.ForwardWithNullWeights(s), "weights");
        });
        yield return new(forward, Mismatch, (d, arena) =>
        {
            var (call, s) = StackCall.Valid(d, arena, backward: false);
            var other = d.Seed % 3 == 0 ? call.OtherBias()
                : new RecurrentParameters(call.Stack.Cell, call.Stack.InputSize + 1, call.Stack.HiddenSize, call.Stack.Layers, call.Stack.Directions == 2);
            return Pick(d, 3) switch
            {
                0 => Names(() => call.Forward(s, parameters: other), "parameters"),
                1 => Names(() => call.Stack.Prepare(other), "parameters"),
                _ => Names(() => call.Stack.Prepare(null!), "parameters"),
            };
        });

        // Every output (y, hT, cT, workspace) overlapping each input or output before it (a pair with c0 or cT on an
        // LSTM: other cells take those spans empty), and (the last variant) y overlapping the weights.
        yield return new(forward, Overlap, (d, arena) =>
        {
            if (d.Variant == PairCount(3, 6))
            {
                var call = new StackCall(d, arena);
                Memory<float>[] spans = call.Spans(arena, false, -1, 0, -1, 0);
                Memory<float> onWeights = call.Parameters.All.AsMemory(0, Math.Min(call.Parameters.All.Length, spans[3].Length));
                spans[3] = onWeights.Length == spans[3].Length ? onWeights : spans[3];
                return onWeights.Length == spans[3].Length ? Names(() => call.Forward(spans), "y", "parameters") : Names(() => call.Forward(spans, steps: 0), "steps");
            }

            (int output, int other) = PairOf(d.Variant, 3, 6);
            var pairCall = new StackCall(d, arena, lstm: output == 5 || other is 2 or 5);
            Memory<float>[] s = pairCall.Spans(arena, false, output, 0, other, d.Shift);
            return Names(() => pairCall.Forward(s), StackCall.ForwardNames[output], StackCall.ForwardNames[other]);
        }, Variants: PairCount(3, 6) + 1);

        yield return new(forward, BadLengths, (d, arena) =>
        {
            var (call, s) = StackCall.Valid(d, arena, backward: false);
            return Names(() => call.Forward(s, lengths: call.InvalidLengths(d)), "lengths");
        });

        yield return new(backward, Length, (d, arena) => WrongLength(d, arena, backward: true));
        yield return new(backward, BadLengths, (d, arena) =>
        {
            var (call, s) = StackCall.Valid(d, arena, backward: true);
            return Names(() => call.Backward(s, lengths: call.InvalidLengths(d)), "lengths");
        });
        yield return new(backward, Null, (d, arena) =>
        {
            var (call, s) = StackCall.Valid(d, arena, backward: true);
            return d.Seed % 2 == 0 ? Names(() => call.Backward(s, parameters: StackCall.Null), "parameters") : Names(() => call.Backward(s, gradients: StackCall.Null), "gradients");
        });
        yield return new(backward, Mismatch, (d, arena) =>
        {
            var (call, s) = StackCall.Valid(d, arena, backward: true);
            var other = d.Seed % 3 == 0 ? call.OtherBias()
                : new RecurrentParameters(call.Stack.Cell, call.Stack.InputSize, call.Stack.HiddenSize + 1, call.Stack.Layers, call.Stack.Directions == 2);
            return Pick(d, 3) switch
            {
                0 => Names(() => call.Backward(s, parameters: other), "parameters"),
                1 => Names(() => call.Backward(s, gradients: other), "gradients"),
                // The gradients are the parameters themselves: backward would add into the weights it reads.
                _ => d.Seed % 2 == 0 ? Names(() => call.Backward(s, gradients: call.Parameters), "gradients")
                    : Names(() => call.BackwardWithInferenceWeights(s), "weights"),
            };
        });
        // Every output (dx, dh0, dc0, workspace) overlapping each span before it (a pair with dcT or dc0 on an LSTM).
        yield return new(backward, Overlap, (d, arena) =>
        {
            (int output, int other) = PairOf(d.Variant, 6, 9);
            var call = new StackCall(d, arena, lstm: output == 8 || other is 5 or 8);
            Memory<float>[] s = call.Spans(arena, true, output, 0, other, d.Shift);
            return Names(() => call.Backward(s), StackCall.BackwardNames[output], StackCall.BackwardNames[other]);
        }, Variants: PairCount(6, 9));
    }
}
