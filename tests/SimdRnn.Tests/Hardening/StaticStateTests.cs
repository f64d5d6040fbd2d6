using System.Reflection;
using System.Runtime.CompilerServices;

namespace SimdRnn.Tests.Hardening;

/// <summary>
/// The library keeps no mutable static state except the documented per-thread caches and the documented thread pool:
/// every static field is const or readonly (and no readonly one holds a mutable array), or it is on these lists.
/// </summary>
public class StaticStateTests
{
    /// <summary>
    /// PackBuffers.t_a / t_b: [ThreadStatic] GEMM pack buffers, grown on demand and reused by the same thread only
    /// (so a steady state allocates nothing); never shared between threads, never read across calls for data.
    /// ForkJoin.t_inFork: whether this thread is running a fork's part (forks from inside a part run inline).
    /// ForkJoin+Job`1.t_job: the calling thread's reusable fork job of one action type (no allocation per fork).
    /// </summary>
    private static readonly string[] Allowed =
    [
        "SimdRnn.Execution.ForkJoin+Job`1.t_job", "SimdRnn.Execution.ForkJoin.t_inFork",
        "SimdRnn.Sgemm.PackBuffers.t_a", "SimdRnn.Sgemm.PackBuffers.t_b",
    ];

    /// <summary>
    /// ForkJoin.s_helpers: the library's thread pool (one helper thread per processor beyond the first), created once;
    /// the array is never written after the type initializer.
    /// </summary>
    private static readonly string[] ThreadPool = ["SimdRnn.Execution.ForkJoin.s_helpers"];

    [Fact]
    public void Static_fields_are_readonly_or_the_documented_thread_locals_and_thread_pool()
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
                if (ThreadPool.Contains(name) && field.IsInitOnly) continue;
                if (Allowed.Contains(name) && field.IsDefined(typeof(ThreadStaticAttribute)))
                    allowedSeen.Add(name);
                else
                    found.Add($"{name} ({field.FieldType.Name}{(field.IsInitOnly ? ", readonly but a mutable array" : "")})");
            }

        Assert.Equal(Allowed, allowedSeen.Order(StringComparer.Ordinal));
        Assert.True(found.Count == 0, "mutable static state: " + string.Join(", ", found));
    }
}
