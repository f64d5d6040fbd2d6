using SimdRnn.Sgemm;

namespace SimdRnn.Tests.Sgemm;

/// <summary>Rounding float32 to bfloat16: nearest, ties to even, against a reference that compares distances in double.</summary>
public class BFloat16RoundingTests
{
    /// <summary>Every bfloat16 neighbourhood: each of the 65536 upper halves with the low halves that decide the rounding.</summary>
    [Fact]
    public void Rounds_to_nearest_with_ties_to_even()
    {
        ushort[] lowHalves = [0x0000, 0x0001, 0x3FFF, 0x7FFF, 0x8000, 0x8001, 0xC000, 0xFFFF];
        for (uint high = 0; high <= 0xFFFF; high++)
            foreach (ushort low in lowHalves)
            {
                float value = BitConverter.UInt32BitsToSingle(high << 16 | low);
                ushort rounded = BFloat16Panel.Round(value);
                if (float.IsNaN(value))
                {
                    Assert.True(float.IsNaN(BFloat16Panel.Widen(rounded)), $"NaN {high << 16 | low:X8} became {rounded:X4}");
                    Assert.Equal(high & 0x8000, rounded & 0x8000u);
                    continue;
                }

                Assert.True(Expected(value) == rounded, $"{value:R} ({high << 16 | low:X8}): got {rounded:X4}, expected {Expected(value):X4}");
            }
    }

    [Theory]
    [InlineData(1f, 0x3F80)]
    [InlineData(-2.5f, 0xC020)]
    [InlineData(float.PositiveInfinity, 0x7F80)]
    [InlineData(float.NegativeInfinity, 0xFF80)]
    [InlineData(float.MaxValue, 0x7F80)] // rounds up past the largest bfloat16
    [InlineData(1.00390625f, 0x3F80)]    // 1 + 2^-8: a tie, to the even 1
    [InlineData(1.01171875f, 0x3F82)]    // 1 + 3 * 2^-8: a tie, to the even 1 + 2^-6
    public void Known_values(float value, int expected) => Assert.Equal(expected, BFloat16Panel.Round(value));

    /// <summary>The nearest bfloat16 by distance (double holds both candidates and the value exactly); ties to the even one.</summary>
    private static ushort Expected(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        ushort down = (ushort)(bits >> 16);
        if ((bits & 0xFFFF) == 0) return down;
        ushort up = (ushort)(down + 1); // the next magnitude away from zero (0x7F7F + 1 is infinity, as it should be)
        double distanceDown = Math.Abs((double)value - BFloat16Panel.Widen(down));
        double distanceUp = Math.Abs(Magnitude(up) - Math.Abs((double)value));
        if (distanceDown != distanceUp) return distanceDown < distanceUp ? down : up;
        return (down & 1) == 0 ? down : up;
    }

    /// <summary>|value| of a bfloat16, with the overflow candidate past the largest finite one counted at 2^128.</summary>
    private static double Magnitude(ushort bf16) =>
        (bf16 & 0x7FFF) == 0x7F80 ? Math.Pow(2, 128) : Math.Abs((double)BFloat16Panel.Widen(bf16));
}
