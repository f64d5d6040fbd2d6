namespace SimdRnn.Tests.Support;

public static class Ulp
{
    /// <summary>How many representable floats lie between a and b (0 when both are NaN; long.MaxValue if one is).</summary>
    public static long Distance(float a, float b)
    {
        if (float.IsNaN(a) || float.IsNaN(b)) return float.IsNaN(a) && float.IsNaN(b) ? 0 : long.MaxValue;
        return Math.Abs(Ordinal(a) - Ordinal(b));
    }

    private static long Ordinal(float value)
    {
        int bits = BitConverter.SingleToInt32Bits(value);
        return bits < 0 ? (long)int.MinValue - bits : bits;
    }
}
