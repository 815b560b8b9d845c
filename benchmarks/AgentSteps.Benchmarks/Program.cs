using AgentSteps.Benchmarks;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// Modes:
//   (none)    full BenchmarkDotNet run of every benchmark, then the scale test
//   --short   fewer iterations (a few minutes on 2 cores), then the scale test
//   --quick   a smoke run for CI: every benchmark once, in process, and a small scale test; no figures to trust
//   scale     the scale test only
//   tools-cpu the tool-call benchmarks timed by CPU time, and the parts of a tool call (see ToolCpuHarness)
//   streams-cpu the streaming benchmarks timed by CPU time, and the parts of a watched stream (see StreamCpuHarness)
// Other arguments go to BenchmarkDotNet (for example --filter *Step*).
bool quick = args.Contains("--quick");
bool shortRun = args.Contains("--short");
bool scaleOnly = args.Contains("scale");
bool toolsCpuOnly = args.Contains("tools-cpu");
bool streamsCpuOnly = args.Contains("streams-cpu");
var rest = args.Where(a => a is not ("--quick" or "--short" or "scale" or "tools-cpu" or "streams-cpu")).ToArray();

if (streamsCpuOnly)
{
    StreamCpuHarness.Run(quick ? 5 : 2_000, quick ? 1 : 9, Console.Out);
    return 0;
}

if (toolsCpuOnly)
{
    ToolCpuHarness.Run(quick ? 10 : 20_000, quick ? 1 : 9, Console.Out);
    return 0;
}

if (!scaleOnly)
{
    var job = quick ? Job.Dry.WithToolchain(InProcessEmitToolchain.Instance)
        : shortRun ? Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance)
        : Job.Default;
    var config = DefaultConfig.Instance.AddJob(job.AsDefault()).WithOptions(ConfigOptions.JoinSummary);
    if (!rest.Any(a => a.StartsWith("--filter", StringComparison.Ordinal)))
    {
        rest = [.. rest, "--filter", "*"];
    }

    var summaries = BenchmarkSwitcher.FromAssembly(typeof(StepBenchmarks).Assembly).Run(rest, config);
    if (summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)))
    {
        Console.Error.WriteLine("A benchmark failed to run.");
        return 1;
    }
}

if (quick)
{
    // Keeps the CPU-time harness compiling and running; its figures mean nothing at this size.
    ToolCpuHarness.Run(10, 1, Console.Out);
    StreamCpuHarness.Run(5, 1, Console.Out);
}

await ScaleHarness.RunAsync(
    quick ? [1, 10] : [1, 100, 1_000, 10_000],
    TimeSpan.FromMilliseconds(quick ? 10 : int.TryParse(Environment.GetEnvironmentVariable("AGENTSTEPS_BENCH_LATENCY_MS"), out int latency) ? latency : 50),
    TimeSpan.FromSeconds(quick ? 10 : 120),
    Console.Out);
return 0;
