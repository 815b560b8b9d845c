using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;

namespace AgentSteps.Benchmarks;

/// <summary>
/// What streaming costs: a fake model (<see cref="StreamingChatClient"/>) that streams a 5 KB structured reply in
/// 1,000 updates made once, or returns it whole. (a) the client's stream enumerated alone; (b) an ordinary structured
/// LLM step, nothing watching (the model is called with <c>GetResponseAsync</c>); (c) the same step with one watcher
/// attached that reads every event; (d) an LLM step returning <see cref="IAsyncEnumerable{T}"/> of <see cref="string"/>,
/// read to its end, nothing watching; (e) the structured step with a watcher that reads every event's
/// <see cref="ModelTextEvent.PartialJson"/>. Every run opens a new <see cref="Runtime"/>, as in the other benchmarks;
/// a watcher is a task draining <see cref="Runtime.WatchAsync"/> to the run's end.
/// </summary>
[MemoryDiagnoser]
public class StreamingBenchmarks
{
    private static readonly List<ChatMessage> s_messages = [new(ChatRole.User, "chicken parmesan")];
    private static readonly ChatOptions s_options = new() { ModelId = "fake" };

    private StreamingChatClient _client = null!;
    private StreamWorkflow _workflow = null!;
    private RuntimeOptions _options = null!;

    /// <summary>Gets the model text events the watchers have read, for the harness's check that they read them.</summary>
    public long TextEventsRead { get; private set; }

    /// <summary>Gets the model text events the watchers have read that had a partial JSON document.</summary>
    public long PartialJsonRead { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        _client = new StreamingChatClient();
        _workflow = Steps.Create<StreamWorkflow>();
        _options = new RuntimeOptions { ChatClient = _client };
        Check();
    }

    [Benchmark(Baseline = true, Description = "Stream: (a) the client's 1,000 updates enumerated alone")]
    [BenchmarkCategory("Stream")]
    public async Task<int> ClientAlone()
    {
        int length = 0;
        await foreach (var update in _client.GetStreamingResponseAsync(s_messages, s_options).ConfigureAwait(false))
        {
            length += update.Text.Length;
        }

        return length;
    }

    [Benchmark(Description = "Stream: (b) structured LLM step, no watcher")]
    [BenchmarkCategory("Stream")]
    public async Task<Recipe> StepUnwatched()
    {
        using var runtime = new Runtime(_options);
        return await _workflow.DraftAsync("chicken parmesan");
    }

    [Benchmark(Description = "Stream: (c) structured LLM step, one watcher reading every event")]
    [BenchmarkCategory("Stream")]
    public Task<Recipe> StepWatched() => WatchedAsync(partialJson: false);

    [Benchmark(Description = "Stream: (d) IAsyncEnumerable<string> LLM step read to the end, no watcher")]
    [BenchmarkCategory("Stream")]
    public async Task<int> TextStream()
    {
        using var runtime = new Runtime(_options);
        int length = 0;
        await foreach (var piece in _workflow.WriteAsync("chicken parmesan").ConfigureAwait(false))
        {
            length += piece.Length;
        }

        return length;
    }

    [Benchmark(Description = "Stream: (e) structured LLM step, one watcher reading every PartialJson")]
    [BenchmarkCategory("Stream")]
    public Task<Recipe> StepWatchedPartialJson() => WatchedAsync(partialJson: true);

    private async Task<Recipe> WatchedAsync(bool partialJson)
    {
        Task<(int Text, int Json)> watcher;
        Recipe recipe;
        using (var runtime = new Runtime(_options))
        {
            watcher = WatchAsync(runtime.WatchAsync(), partialJson);
            recipe = await _workflow.DraftAsync("chicken parmesan").ConfigureAwait(false);
        }

        // The watcher ends with the run's RunCompletedEvent, which disposing the runtime sends.
        var (text, json) = await watcher.ConfigureAwait(false);
        TextEventsRead += text;
        PartialJsonRead += json;
        return recipe;
    }

    private static async Task<(int Text, int Json)> WatchAsync(IAsyncEnumerable<RunEvent> events, bool partialJson)
    {
        int text = 0, json = 0;
        await foreach (var runEvent in events.ConfigureAwait(false))
        {
            if (runEvent is ModelTextEvent modelText)
            {
                text++;
                if (partialJson && modelText.PartialJson is not null)
                {
                    json++;
                }
            }
        }

        return (text, json);
    }

    /// <summary>Makes sure the benchmarks measure what they say: the step streams only when watched, and the stream is whole.</summary>
    private void Check()
    {
        int streamingCalls = _client.StreamingCalls;
        StepUnwatched().GetAwaiter().GetResult();
        if (_client.StreamingCalls != streamingCalls)
        {
            throw new InvalidOperationException("The step streamed with nothing watching.");
        }

        var expected = System.Text.Json.JsonSerializer.Serialize(Newtonsoft.Json.JsonConvert.DeserializeObject<Recipe>(StreamingChatClient.Json));
        if (ClientAlone().GetAwaiter().GetResult() != StreamingChatClient.Json.Length ||
            TextStream().GetAwaiter().GetResult() != StreamingChatClient.Json.Length ||
            System.Text.Json.JsonSerializer.Serialize(StepUnwatched().GetAwaiter().GetResult()) != expected ||
            System.Text.Json.JsonSerializer.Serialize(StepWatchedPartialJson().GetAwaiter().GetResult()) != expected)
        {
            throw new InvalidOperationException("A streaming benchmark did not get the whole reply.");
        }

        if (TextEventsRead == 0 || PartialJsonRead == 0)
        {
            throw new InvalidOperationException("The watched step published no model text, so it did not stream.");
        }

        TextEventsRead = PartialJsonRead = 0;
    }
}
