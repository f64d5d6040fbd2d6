namespace SimdRnn.Tests.Support;

/// <summary>An output buffer with guard values on both sides, to prove a kernel wrote nothing outside its span.</summary>
public sealed class Guarded
{
    public const int GuardLength = 37;
    public const float GuardValue = -12345.678f;
    private readonly float[] _storage;

    public Guarded(int length, float fill = float.NaN)
    {
        Length = length;
        _storage = new float[length + 2 * GuardLength];
        _storage.AsSpan().Fill(GuardValue);
        Span.Fill(fill);
    }

    public Guarded(ReadOnlySpan<float> contents) : this(contents.Length) => contents.CopyTo(Span);

    public int Length { get; }
    public Span<float> Span => _storage.AsSpan(GuardLength, Length);
    public float[] ToArray() => Span.ToArray();

    public void AssertGuardsIntact()
    {
        for (int i = 0; i < GuardLength; i++)
        {
            Assert.Equal(GuardValue, _storage[i]);
            Assert.Equal(GuardValue, _storage[GuardLength + Length + i]);
        }
    }
}
