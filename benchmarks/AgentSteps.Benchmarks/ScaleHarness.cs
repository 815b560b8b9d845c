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

        // Warm up: tiered JIT starts every method unoptimized and recompiles it after 30 calls and a short delay, so run
        // every path a few hundred times and wait, or the first rows would measure unoptimized code, not AgentSteps.
        var warmOptions = new RuntimeOptions { ChatClient = new FakeChatClient(TimeSpan.FromMilliseconds(1)) };
        for (int round = 0; round < 3; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
            {
                using var runtime = new Runtime(warmOptions);
                await workflow.RunAsync($"warm-up {i}");
                await client.GetResponseAsync(messages, recipeOptions);
            }));
            using (new Runtime(new RuntimeOptions { ChatClient = new FakeChatClient() }))
            {
                workflow.Run("warm-up");
            }

            await Task.Delay(500);
        }

        output.WriteLine($"Scale: 3 LLM steps per run, fake model latency {latency.TotalMilliseconds} ms per call, {Environment.ProcessorCount} cores.");
        output.WriteLine("| Variant | N | Wall (ms) | vs floor | CPU per run (µs) | Peak managed (MB) | Retained after (MB) | Gen2 GCs | Thread-pool threads (start → max) |");
        output.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        var floors = new Dictionary<int, double>();
        foreach (int n in sizes)
        {
            floors[n] = await MeasureAsync("Floor: bare model calls", n, async _ =>
            {
                await client.GetResponseAsync(messages, recipeOptions);
                await client.GetResponseAsync(messages, recipeOptions);
                await client.GetResponseAsync(messages, verdictOptions);
            }, null, output);

            await MeasureAsync("Plain C#: calls and Newtonsoft parsing", n, async i =>
            {
                var draft = Parse<Recipe>(await client.GetResponseAsync([new(ChatRole.User, $"dish {i}")], recipeOptions));
                var improved = Parse<Recipe>(await client.GetResponseAsync([new(ChatRole.User, Newtonsoft.Json.JsonConvert.SerializeObject(draft))], recipeOptions));
                Parse<Verdict>(await client.GetResponseAsync([new(ChatRole.User, Newtonsoft.Json.JsonConvert.SerializeObject(improved))], verdictOptions));
            }, floors[n], output);

            await MeasureAsync("AgentSteps, async steps", n, async i =>
            {
                using var runtime = new Runtime(options);
                await workflow.RunAsync($"dish {i}");
            }, floors[n], output);
        }

        // Sync steps last: blocked threads grow the thread pool, which would disturb the rows after them.
        foreach (int n in sizes.Where(n => n <= 100))
        {
            await MeasureAsync("AgentSteps, sync steps", n, i => Task.Run(() =>
            {
                using var runtime = new Runtime(options);
                workflow.Run($"dish {i}");
            }), floors[n], output, syncCap);
        }
    }

    private static T Parse<T>(ChatResponse response) => Newtonsoft.Json.JsonConvert.DeserializeObject<T>(response.Text)!;

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

        int gen2Before = GC.CollectionCount(2);
        var watch = Stopwatch.StartNew();
        var all = Task.WhenAll(Enumerable.Range(0, n).Select(run));
        bool finished = cap is null || await Task.WhenAny(all, Task.Delay(cap.Value)) == all;
        if (finished)
        {
            await all;
        }

        watch.Stop();
        int gen2 = GC.CollectionCount(2) - gen2Before;
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        await sampler.DisposeAsync();
        if (!finished)
        {
            output.WriteLine($"| {name} | {n} | over {cap!.Value.TotalSeconds:0} s (stopped waiting) | | | | | | {threadsBefore} → {maxThreads} |");
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
            $"| {name} | {n} | {wall:0} | {ratio} | {cpu.TotalMicroseconds / n:0} | {(peak - before) / 1048576.0:0.0} | {Math.Max(0, after - before) / 1048576.0:0.00} | {gen2} | {threadsBefore} → {maxThreads} |");
        return wall;
    }
}
