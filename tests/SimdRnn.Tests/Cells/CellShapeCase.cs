using FsCheck;
using FsCheck.Fluent;
using SimdRnn.Tests.Support;

namespace SimdRnn.Tests.Cells;

/// <summary>A random cell shape (rows, hidden with tails of every width, row padding) and a pool of values in [-1, 1].</summary>
public sealed record CellShapeCase(int Rows, int Hidden, int Ld, float[] Pool, SimdPath Path)
{
    private int _next;

    /// <summary>The next <paramref name="count"/> pool values scaled to [-range, range].</summary>
    public float[] Take(int count, float range)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = Pool[(_next++) % Pool.Length] * range;
        return values;
    }

    public override string ToString() => $"{Path}, rows {Rows}, hidden {Hidden}, ld {Ld}";
}

public static class CellShapeArbitraries
{
    public static Arbitrary<CellShapeCase> Case() =>
        (from rows in Gen.Choose(1, 5)
         from hidden in Gen.OneOf(Gen.Choose(1, 40), Gen.Elements(1, 15, 16, 17, 31, 33, 64, 65))
         from pad in Gen.Choose(0, 3)
         from pool in Gen.Choose(-1_000_000, 1_000_000).Select(v => v / 1_000_000f).ArrayOf(997)
         from path in Gen.Elements(TestPaths.InProcess.ToArray())
         select new CellShapeCase(rows, hidden, hidden + pad, pool, path)).ToArbitrary();
}
