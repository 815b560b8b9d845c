using AgentSteps.Diagnostics;
using BenchmarkDotNet.Attributes;

namespace AgentSteps.Benchmarks;

/// <summary>What the trace's snapshots cost: a leaf argument (the code-step fast path), a Recipe-sized result, and reading them back.</summary>
[MemoryDiagnoser]
public class TraceSnapshotBenchmarks
{
    private static readonly Recipe s_recipe = Newtonsoft.Json.JsonConvert.DeserializeObject<Recipe>(FakeChatClient.RecipeJson)!;
    private readonly object _leaf = 42;
    private object? _snapshot;

    [GlobalSetup]
    public void Setup() => _snapshot = TraceSnapshot.Capture(s_recipe, StepTraceOptions.Default);

    [Benchmark(Description = "Snapshot: int argument")]
    public object? CaptureLeaf() => TraceSnapshot.Capture(_leaf, StepTraceOptions.Default);

    [Benchmark(Description = "Snapshot: Recipe result")]
    public object? CaptureRecipe() => TraceSnapshot.Capture(s_recipe, StepTraceOptions.Default);

    [Benchmark(Description = "Snapshot: Recipe written for ToJson")]
    public object WriteRecipe() => TraceSnapshot.ToToken(_snapshot, StepTraceOptions.Default);

    [Benchmark(Description = "Snapshot: Recipe rebuilt for ExecutedStep.Result")]
    public object? MaterializeRecipe() => TraceSnapshot.Materialize(_snapshot, StepTraceOptions.Default);
}
