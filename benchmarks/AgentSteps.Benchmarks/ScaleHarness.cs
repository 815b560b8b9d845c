using System.Diagnostics;
using Microsoft.Extensions.AI;

namespace AgentSteps.Benchmarks;

/// <summary>
/// N concurrent runs of the 3-step LLM workflow against a fake model with a fixed latency: wall time against the floor
/// (the same model calls with no AgentSteps), CPU per run, peak managed memory, what stays after the runs, and
/// thread-pool growth. Async steps, then sync steps (sync over async) to show what blocking costs under load.
/// </summary>
public static class ScaleHarness
{
    public static async Task RunAsync(int[] sizes, TimeSpan latency, TimeSpan syncCap, TextWriter output)
    {
        var client = new FakeChatClient(latency);
        var options = new RuntimeOptions { ChatClient = client };
        var workflow = Steps.Create<LlmWorkflow>();
        var recipeOptions = new ChatOptions { ModelId = "fake" };
        var verdictOptions = new ChatOptions { ModelId = "fake", ResponseFormat = ChatResponseFormat.ForJsonSchema(System.Text.Json.JsonDocument.Parse("{\"type\":\"object\"}").RootElement, "Verdict") };
        ChatMessage[] messages = [new(ChatRole.User, "x")];

        // Warm up JIT and caches so the first row does not pay for them.
        using (new Runtime(options))
        {
            await workflow.RunAsync("warm-up");
        }

        output.WriteLine($"Scale: 3 LLM steps per run, fake model latency {latency.TotalMilliseconds} ms per call, {Environment.ProcessorCount} cores.");
        output.WriteLine("| Variant | N | Wall (ms) | vs floor | CPU per run (µs) | Peak managed (MB) | Retained after (MB) | Thread-pool threads (start → max) |");
        output.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (int n in sizes)
        {
            var floor = await MeasureAsync("Floor: bare model calls", n, async _ =>
            {
                await client.GetResponseAsync(messages, recipeOptions);
                await client.GetResponseAsync(messages, recipeOptions);
                await client.GetResponseAsync(messages, verdictOptions);
            }, null, output);

            await MeasureAsync("AgentSteps, async steps", n, async i =>
            {
                using var runtime = new Runtime(options);
                await workflow.RunAsync($"dish {i}");
            }, floor, output);

            if (n <= 100)
            {
                await MeasureAsync("AgentSteps, sync steps", n, i => Task.Run(() =>
                {
                    using var runtime = new Runtime(options);
                    workflow.Run($"dish {i}");
                }), floor, output, syncCap);
            }
        }
    }

    private static async Task<double> MeasureAsync(string name, int n, Func<int, Task> run, double? floor, TextWriter output, TimeSpan? cap = null)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        int threadsBefore = ThreadPool.ThreadCount;
        int maxThreads = threadsBefore;
        long peak = before;
        using var sampler = new Timer(_ =>
        {
            maxThreads = Math.Max(maxThreads, ThreadPool.ThreadCount);
            peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false));
        }, null, 0, 5);

        var watch = Stopwatch.StartNew();
        var all = Task.WhenAll(Enumerable.Range(0, n).Select(run));
        bool finished = cap is null || await Task.WhenAny(all, Task.Delay(cap.Value)) == all;
        if (finished)
        {
            await all;
        }

        watch.Stop();
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        await sampler.DisposeAsync();
        if (!finished)
        {
            output.WriteLine($"| {name} | {n} | over {cap!.Value.TotalSeconds:0} s (stopped waiting) | | | | | {threadsBefore} → {maxThreads} |");
            await all;
            return double.NaN;
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long after = GC.GetTotalMemory(forceFullCollection: true);
        double wall = watch.Elapsed.TotalMilliseconds;
        var ratio = floor is double f && !double.IsNaN(f) ? $"{wall / f:0.00}x" : "1.00x";
        output.WriteLine(
            $"| {name} | {n} | {wall:0} | {ratio} | {cpu.TotalMicroseconds / n:0} | {(peak - before) / 1048576.0:0.0} | {Math.Max(0, after - before) / 1048576.0:0.00} | {threadsBefore} → {maxThreads} |");
        return wall;
    }
}
