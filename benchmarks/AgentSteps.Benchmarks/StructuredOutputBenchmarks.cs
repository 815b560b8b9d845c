using AgentSteps.Inspection;
using AgentSteps.StructuredOutput;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;

namespace AgentSteps.Benchmarks;

/// <summary>What AgentSteps adds to an LLM step: the schema (first build and cached), the prompt, parsing and validating the reply, a retry.</summary>
[MemoryDiagnoser]
public class StructuredOutputBenchmarks
{
    private static readonly Recipe s_recipe = Newtonsoft.Json.JsonConvert.DeserializeObject<Recipe>(FakeChatClient.RecipeJson)!;
    private readonly PromptTemplate _prompt = PromptTemplate.Create(null, [0], ["recipe"], out _);
    private readonly object?[] _arguments = [s_recipe];
    private OutputContract _contract = null!;
    private LlmWorkflow _workflow = null!;
    private RuntimeOptions _retrying = null!;

    [GlobalSetup]
    public void Setup()
    {
        _contract = OutputContract.For(typeof(Recipe));
        _workflow = Steps.Create<LlmWorkflow>();
        _retrying = new RuntimeOptions { ChatClient = new RetryingChatClient() };
    }

    [Benchmark(Description = "Schema: first build (Recipe)")]
    public object SchemaFirst() => OutputContract.CreateUncached(typeof(Recipe));

    [Benchmark(Description = "Schema: cached")]
    public object SchemaCached() => OutputContract.For(typeof(Recipe));

    [Benchmark(Description = "Prompt: Recipe argument as JSON")]
    public string Prompt() => _prompt.Render(_arguments);

    [Benchmark(Description = "Reply: parse and validate a Recipe")]
    public bool ParseAndValidate() => _contract.TryParse(FakeChatClient.RecipeJson, out _, out _);

    [Benchmark(Description = "LLM step with one output retry")]
    public Recipe StepWithRetry()
    {
        using var runtime = new Runtime(_retrying);
        return _workflow.Draft("chicken parmesan");
    }

    /// <summary>Answers the first call of each step with broken JSON and the retry with a valid reply.</summary>
    private sealed class RetryingChatClient : IChatClient
    {
        private static readonly ChatResponse s_broken = new(new ChatMessage(ChatRole.Assistant, "{\"Description\": ")) { FinishReason = ChatFinishReason.Stop };
        private static readonly ChatResponse s_valid = new(new ChatMessage(ChatRole.Assistant, FakeChatClient.RecipeJson)) { FinishReason = ChatFinishReason.Stop };

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(messages.Count() <= 2 ? s_broken : s_valid);

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
