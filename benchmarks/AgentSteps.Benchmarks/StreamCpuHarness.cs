using System.Globalization;
using AgentSteps.Pipeline;
using Microsoft.Extensions.AI;

namespace AgentSteps.Benchmarks;

/// <summary>
/// The streaming benchmarks again, timed by the process's CPU time (every thread's, so a watcher draining events on
/// another core counts) rather than the wall clock; then the parts of a watched stream on their own, through
/// AgentSteps' internals, 1,000 chunks a call, to say which part costs what. Each case runs in rounds interleaved with
/// the others, after a warm-up past tiered JIT; the figure is the median round. Allocations are counted on every thread
/// (<see cref="GC.GetTotalAllocatedBytes(bool)"/>).
/// </summary>
public static class StreamCpuHarness
{
    public static void Run(int iterations, int rounds, TextWriter output)
    {
        var bench = new StreamingBenchmarks();
        bench.Setup();

        // The parts, with the benchmarks' reply and deltas.
        var client = new StreamingChatClient();
        var updates = client.Updates;
        var deltas = updates.Select(u => u.Text).Where(t => t.Length > 0).ToArray();
        var step = StepRecord();
        var runtime = step.Owner;
        var events = deltas.Select(d => new ModelTextEvent(step, d, new StreamedText(json: true), 1)).ToArray();

        var cases = new (string Name, Func<object?> Run)[]
        {
            ("(a) the client's stream enumerated alone", () => bench.ClientAlone().GetAwaiter().GetResult()),
            ("(b) structured LLM step, no watcher", () => bench.StepUnwatched().GetAwaiter().GetResult()),
            ("(c) structured LLM step, one watcher reading every event", () => bench.StepWatched().GetAwaiter().GetResult()),
            ("(d) IAsyncEnumerable<string> LLM step read to the end, no watcher", () => bench.TextStream().GetAwaiter().GetResult()),
            ("(e) structured LLM step, one watcher reading every PartialJson", () => bench.StepWatchedPartialJson().GetAwaiter().GetResult()),
            ("Part: updates kept in a list, then ToChatResponse and its Text", () =>
            {
                var kept = new List<ChatResponseUpdate>();
                foreach (var update in updates)
                {
                    kept.Add(update);
                }

                return kept.ToChatResponse().Text;
            }),
            ("Part: StreamedText.Append, JSON scan, 1,000 deltas", () =>
            {
                var text = new StreamedText(json: true);
                foreach (var delta in deltas)
                {
                    text.Append(delta);
                }

                return text;
            }),
            ("Part: 1,000 ModelTextEvents made (timestamp, snapshot)", () =>
            {
                var text = new StreamedText(json: false);
                ModelTextEvent? last = null;
                foreach (var delta in deltas)
                {
                    last = new ModelTextEvent(step, delta, text, 1);
                }

                return last;
            }),
            ("Part: RunEventHub, 1,000 events posted to one draining watcher", () => HubAsync(runtime, events).GetAwaiter().GetResult()),
            ("Part: StreamedText.Append and PartialJson of every snapshot", () =>
            {
                var text = new StreamedText(json: true);
                int length = 0;
                foreach (var delta in deltas)
                {
                    text.Append(delta);
                    length += text.Take().Close().Length;
                }

                return length;
            }),
        };

        // Warm-up: past tiered JIT's second tier for every path.
        for (int w = 0; w < 3; w++)
        {
            foreach (var (_, run) in cases)
            {
                for (int i = 0; i < Math.Max(iterations / 4, 50); i++)
                {
                    run();
                }
            }

            Thread.Sleep(200);
        }

        var times = cases.Select(_ => new List<double>()).ToArray();
        var bytes = new long[cases.Length];
        long textRead = 0, jsonRead = 0;
        for (int r = 0; r < rounds; r++)
        {
            for (int c = 0; c < cases.Length; c++)
            {
                var run = cases[c].Run;
                long text = bench.TextEventsRead, json = bench.PartialJsonRead;
                long allocated = GC.GetTotalAllocatedBytes(precise: true);
                var cpu = Environment.CpuUsage.TotalTime;
                for (int i = 0; i < iterations; i++)
                {
                    run();
                }

                times[c].Add((Environment.CpuUsage.TotalTime - cpu).TotalMicroseconds / iterations);
                bytes[c] = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / iterations;
                if (c == 2)
                {
                    textRead += bench.TextEventsRead - text;
                }
                else if (c == 4)
                {
                    jsonRead += bench.PartialJsonRead - json;
                }
            }
        }

        int chunks = StreamingChatClient.Chunks;
        output.WriteLine($"Streams by CPU time: {chunks:N0} chunks a stream ({StreamingChatClient.Json.Length:N0} characters), {iterations:N0} runs a round, median of {rounds} rounds, {Environment.ProcessorCount} cores.");
        output.WriteLine("| Case | CPU per run (µs) | CPU per chunk (µs) | Allocated per run (B) | Allocated per chunk (B) |");
        output.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        double Median(int c) => times[c].Order().ElementAt(times[c].Count / 2);
        for (int c = 0; c < cases.Length; c++)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {cases[c].Name} | {Median(c):N1} | {Median(c) / chunks:N3} | {bytes[c]:N0} | {(double)bytes[c] / chunks:N1} |"));
        }

        long runs = (long)iterations * rounds;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Watcher (c) read {(double)textRead / runs:N1} model text events a run, watcher (e) {(double)jsonRead / runs:N1} partial JSON documents a run (of {chunks:N0}; the rest were dropped while the watcher was 1,000 behind)."));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Watched stream, per chunk on top of the client and the unwatched step, ((c) - (a) - (b)) / {chunks:N0}: {(Median(2) - Median(0) - Median(1)) / chunks:N3} µs, {(double)(bytes[2] - bytes[0] - bytes[1]) / chunks:N1} B"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Text stream, per chunk on top of the client, ((d) - (a)) / {chunks:N0}: {(Median(3) - Median(0)) / chunks:N3} µs, {(double)(bytes[3] - bytes[0]) / chunks:N1} B"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Watched with PartialJson, per chunk, ((e) - (a) - (b)) / {chunks:N0}: {(Median(4) - Median(0) - Median(1)) / chunks:N3} µs, {(double)(bytes[4] - bytes[0] - bytes[1]) / chunks:N1} B"));
    }

    /// <summary>The record of one structured LLM step that has run, for events to point at.</summary>
    private static ExecutedStep StepRecord()
    {
        var workflow = Steps.Create<StreamWorkflow>();
        var runtime = new Runtime(new RuntimeOptions { ChatClient = new StreamingChatClient() });
        workflow.DraftAsync("chicken parmesan").GetAwaiter().GetResult();
        var step = runtime.ExecutedSteps.Single();
        runtime.Dispose();
        return step;
    }

    private static async Task<int> HubAsync(Runtime runtime, ModelTextEvent[] events)
    {
        var hub = new RunEventHub();
        var watcher = hub.Add(runtime);
        var drain = Task.Run(async () =>
        {
            int read = 0;
            while ((await watcher.TakeAsync(CancellationToken.None).ConfigureAwait(false)).Kind != RunEventKind.RunCompleted)
            {
                read++;
            }

            return read;
        });
        foreach (var runEvent in events)
        {
            hub.Publish(runEvent);
        }

        hub.Complete(runtime);
        return await drain.ConfigureAwait(false);
    }
}
