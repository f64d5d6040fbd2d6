using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SimdRnn.Reference;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Training;

/// <summary>
/// Rows of logits around a centre (0, +100, -200, +1000 or anywhere in +-1000) and the same rows shifted by a constant
/// c in +-1000. Every logit and every shift is a multiple of 2^-13 below 2048 in magnitude, so x + c is exact in float
/// and so is x - max (a multiple of 2^-13 below 2^11) for both rows: the kernel then feeds exp the same operands and
/// the gradient must come out bitwise the same. The loss, max + log(sum) - target per row summed in double, is then
/// exactly the same number before rounding, and each call's double roundings are bounded: per row the log (within one
/// ulp) and the two additions, each within 2^-53 of a value at most m_r = |max_r| + |target_r| + ln(classes) + 1
/// (4 m_r 2^-53 in all), and the running sum, within 2^-53 (sum of m_r) per row; so
/// |loss' - loss| &lt;= (rows + 4) 2^-53 (sum of m_r over both calls). A kernel that skips the max subtraction
/// overflows or underflows here, and even where it does not, its float exp rounds differently after a shift.
/// </summary>
[Trait("Category", "Kernel")]
public class SoftmaxShiftTests
{
    private const float Grid = 1f / 8192;
    private const double Eps = 1.0 / (1 << 24);

    public sealed record ShiftCase(int Rows, int Classes, float[] Logits, int[] Targets, float Shift)
    {
        public float[] Shifted => Logits.Select(v => v + Shift).ToArray();

        public override string ToString() =>
            $"rows {Rows}, classes {Classes}, shift {Shift:R}, row maxima {string.Join(", ", RowMaxima(Logits, Classes))}";
    }

    public static class Arbitraries
    {
        private static Gen<float> OnGrid(int limit) => Gen.Choose(-limit, limit).Select(i => i * Grid);

        public static Arbitrary<ShiftCase> Case() =>
            (from rows in Gen.Choose(1, 6)
             from classes in Gen.OneOf(Gen.Choose(1, 40), Gen.Elements(65, 256, 1000))
             from centres in Gen.OneOf(Gen.Elements(0f, 100f, -200f, 1000f), OnGrid(1000 * 8192)).ArrayOf(rows)
             from spread in Gen.Elements(3, 30).ArrayOf(rows)
             from offsets in OnGrid(8192).ArrayOf(rows * classes)
             from targets in Gen.Choose(0, classes - 1).ArrayOf(rows)
             from shift in Gen.OneOf(Gen.Elements(1000f, -1000f, 0.5f), OnGrid(1000 * 8192))
             let logits = offsets.Select((o, i) => centres[i / classes] + o * spread[i / classes]).ToArray()
             select new ShiftCase(rows, classes, logits, targets, shift)).ToArbitrary();
    }

    [Property(Arbitrary = [typeof(Arbitraries)], MaxTest = 80)]
    public void Shifting_a_row_keeps_its_gradient_bitwise_and_its_loss_within_double_rounding(ShiftCase c)
    {
        float scale = 1f / c.Rows;
        float[] shifted = c.Shifted;
        var d = new float[c.Logits.Length];
        var dShifted = new float[c.Logits.Length];
        double loss = SoftmaxCrossEntropy.ForwardBackward(c.Logits, c.Targets, d, c.Classes, scale);
        double lossShifted = SoftmaxCrossEntropy.ForwardBackward(shifted, c.Targets, dShifted, c.Classes, scale);

        for (int i = 0; i < d.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(d[i]) == BitConverter.SingleToInt32Bits(dShifted[i]),
                $"dLogits[{i}]: {d[i]:R} unshifted, {dShifted[i]:R} shifted");

        double bound = (c.Rows + 4) * Math.Pow(2, -53) * (Magnitude(c.Logits, c.Targets, c.Classes) + Magnitude(shifted, c.Targets, c.Classes));
        Assert.True(Math.Abs(loss - lossShifted) <= bound, $"loss {loss:R} unshifted, {lossShifted:R} shifted, bound {bound:R}");
    }

    /// <summary>The bounds of the accuracy contract (README), which are shift-invariant: gradient within 8 eps |scale|,
    /// summed loss within 8 eps (rows + sum |logit - max|).</summary>
    [Property(Arbitrary = [typeof(Arbitraries)], MaxTest = 80)]
    public void Large_and_shifted_logits_match_the_double_reference(ShiftCase c)
    {
        float scale = 1f / c.Rows;
        foreach (float[] logits in new[] { c.Logits, c.Shifted })
        {
            var d = new Guarded(logits.Length);
            double loss = SoftmaxCrossEntropy.ForwardBackward(logits, c.Targets, d.Span, c.Classes, scale);
            d.AssertGuardsIntact();
            (double expectedLoss, double[] expectedD) = ReferenceTraining.SoftmaxCrossEntropy(logits, c.Targets, c.Classes, scale);
            float[] maxima = RowMaxima(logits, c.Classes);
            double spread = logits.Select((v, i) => Math.Abs((double)v - maxima[i / c.Classes])).Sum();
            double lossBound = 8 * Eps * (c.Rows + spread);
            Assert.True(Math.Abs(loss - expectedLoss) <= lossBound, $"loss {loss:R} vs reference {expectedLoss:R}, bound {lossBound:R}");
            for (int i = 0; i < expectedD.Length; i++)
                Assert.True(Math.Abs(d.Span[i] - expectedD[i]) <= 8 * Eps * scale, $"dLogits[{i}] {d.Span[i]:R} vs reference {expectedD[i]:R}");
        }
    }

    private static float[] RowMaxima(float[] logits, int classes) =>
        logits.Chunk(classes).Select(row => row.Max()).ToArray();

    /// <summary>The sum over rows of |max| + |target logit| + ln(classes) + 1: bounds every partial of the loss sum.</summary>
    private static double Magnitude(float[] logits, int[] targets, int classes)
    {
        float[] maxima = RowMaxima(logits, classes);
        return targets.Select((t, r) => Math.Abs(maxima[r]) + Math.Abs(logits[r * classes + t]) + Math.Log(classes) + 1).Sum();
    }
}
