using System.Reflection;
using System.Runtime.CompilerServices;

namespace SimdRnn.Tests.Hardening;

/// <summary>
/// The library keeps no mutable static state except the documented per-thread pack-buffer cache: every static field
/// is const or readonly (and no readonly one holds a mutable array), or it is on this list.
/// </summary>
public class StaticStateTests
{
    /// <summary>
    /// PackBuffers.t_a / t_b: [ThreadStatic] GEMM pack buffers, grown on demand and reused by the same thread only
    /// (so a steady state allocates nothing); never shared between threads, never read across calls for data.
    /// </summary>
    private static readonly string[] Allowed = ["SimdRnn.Internal.PackBuffers.t_a", "SimdRnn.Internal.PackBuffers.t_b"];

    [Fact]
    public void Static_fields_are_readonly_or_the_documented_thread_local_pack_buffers()
    {
        var found = new List<string>();
        var allowedSeen = new List<string>();
        foreach (Type type in typeof(Cpu).Assembly.GetTypes())
            foreach (FieldInfo field in type.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                string name = $"{type.FullName}.{field.Name}";
                // Compiler-generated delegate caches (lambdas) are set once to an immutable delegate.
                bool compilerGenerated = type.IsDefined(typeof(CompilerGeneratedAttribute)) || field.IsDefined(typeof(CompilerGeneratedAttribute));
                if (field.IsLiteral || field.IsInitOnly && !field.FieldType.IsArray || compilerGenerated && !field.FieldType.IsArray) continue;
                if (Allowed.Contains(name) && field.IsDefined(typeof(ThreadStaticAttribute)))
                    allowedSeen.Add(name);
                else
                    found.Add($"{name} ({field.FieldType.Name}{(field.IsInitOnly ? ", readonly but a mutable array" : "")})");
            }

        Assert.Equal(Allowed, allowedSeen.Order(StringComparer.Ordinal));
        Assert.True(found.Count == 0, "mutable static state: " + string.Join(", ", found));
    }
}
