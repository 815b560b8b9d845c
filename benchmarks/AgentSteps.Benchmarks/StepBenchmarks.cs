using BenchmarkDotNet.Attributes;
using Castle.DynamicProxy;
using Microsoft.Agents.AI.Workflows;
using Microsoft.Extensions.AI;

namespace AgentSteps.Benchmarks;

/// <summary>
/// One run of a 3-step sequential workflow, four ways: plain C#, a bare Castle pass-through proxy, AgentSteps, and
/// Microsoft Agent Framework workflows. Code steps, then LLM steps answered at once by a fake model.
/// </summary>
[MemoryDiagnoser]
public class StepBenchmarks
{
    private readonly PlainSteps _plain = new();
    private readonly FakeChatClient _client = new();
    private PlainSteps _castle = null!;
    private CodeWorkflow _code = null!;
    private LlmWorkflow _llm = null!;
    private RuntimeOptions _options = null!;
    private readonly FakeChatClient _yielding = new(yields: true);
    private RuntimeOptions _yieldingOptions = null!;
    private PlainLlmSteps _plainLlm = null!;
    private PlainLlmSteps _castleLlm = null!;
    private Workflow _frameworkCode = null!;
    private Workflow _frameworkLlm = null!;

    [GlobalSetup]
    public void Setup()
    {
        var generator = new ProxyGenerator();
        _castle = generator.CreateClassProxy<PlainSteps>(new PassThroughInterceptor());
        _plainLlm = new PlainLlmSteps(_client);
        _castleLlm = generator.CreateClassProxy<PlainLlmSteps>([_client], new PassThroughInterceptor());
        _code = Steps.Create<CodeWorkflow>();
        _llm = Steps.Create<LlmWorkflow>();
        _options = new RuntimeOptions { ChatClient = _client };
        _yieldingOptions = new RuntimeOptions { ChatClient = _yielding };
        _frameworkCode = AgentFrameworkWorkflows.Code();
        _frameworkLlm = AgentFrameworkWorkflows.Llm(_client);
    }

    [Benchmark(Baseline = true, Description = "Code: plain C#")]
    [BenchmarkCategory("Code")]
    public int CodePlain() => _plain.Run(1);

    [Benchmark(Description = "Code: Castle pass-through")]
    [BenchmarkCategory("Code")]
    public int CodeCastle() => _castle.Run(1);

    [Benchmark(Description = "Code: AgentSteps (new Runtime per run)")]
    [BenchmarkCategory("Code")]
    public int CodeAgentSteps()
    {
        using var runtime = new Runtime(_options);
        return _code.Run(1);
    }

    [Benchmark(Description = "Code: AgentSteps, runtime only")]
    [BenchmarkCategory("Code")]
    public int RuntimeOnly()
    {
        using var runtime = new Runtime(_options);
        return 0;
    }

    [Benchmark(Description = "Code: Agent Framework workflow")]
    [BenchmarkCategory("Code")]
    public Task<object?> CodeAgentFramework() => AgentFrameworkWorkflows.RunAsync(_frameworkCode, 1);

    [Benchmark(Description = "LLM: plain C# (call, parse)")]
    [BenchmarkCategory("Llm")]
    public bool LlmPlain() => _plainLlm.Run("chicken parmesan");

    [Benchmark(Description = "LLM: Castle pass-through")]
    [BenchmarkCategory("Llm")]
    public bool LlmCastle() => _castleLlm.Run("chicken parmesan");

    [Benchmark(Description = "LLM: AgentSteps (new Runtime per run)")]
    [BenchmarkCategory("Llm")]
    public bool LlmAgentSteps()
    {
        using var runtime = new Runtime(_options);
        return _llm.Run("chicken parmesan");
    }

    [Benchmark(Description = "LLM: AgentSteps async (new Runtime per run)")]
    [BenchmarkCategory("Llm")]
    public async Task<bool> LlmAgentStepsAsync()
    {
        using var runtime = new Runtime(_options);
        return await _llm.RunAsync("chicken parmesan");
    }

    [Benchmark(Description = "LLM: plain C# async, model yields")]
    [BenchmarkCategory("Llm")]
    public async Task<bool> LlmPlainYielding()
    {
        var draft = await AskAsync<Recipe>("chicken parmesan", "Recipe");
        var improved = await AskAsync<Recipe>(Newtonsoft.Json.JsonConvert.SerializeObject(draft), "Recipe");
        return (await AskAsync<Verdict>(Newtonsoft.Json.JsonConvert.SerializeObject(improved), "Verdict")).IsValid;
    }

    [Benchmark(Description = "LLM: AgentSteps async, model yields")]
    [BenchmarkCategory("Llm")]
    public async Task<bool> LlmAgentStepsYielding()
    {
        using var runtime = new Runtime(_yieldingOptions);
        return await _llm.RunAsync("chicken parmesan");
    }

    [Benchmark(Description = "LLM: Agent Framework workflow")]
    [BenchmarkCategory("Llm")]
    public Task<object?> LlmAgentFramework() => AgentFrameworkWorkflows.RunAsync(_frameworkLlm, "chicken parmesan");

    private async Task<T> AskAsync<T>(string user, string schema)
    {
        var options = new ChatOptions
        {
            ModelId = "fake",
            ResponseFormat = ChatResponseFormat.ForJsonSchema(System.Text.Json.JsonDocument.Parse("{\"type\":\"object\"}").RootElement, schema),
        };
        var response = await _yielding.GetResponseAsync([new ChatMessage(ChatRole.System, "s"), new ChatMessage(ChatRole.User, user)], options);
        return Newtonsoft.Json.JsonConvert.DeserializeObject<T>(response.Text)!;
    }
}
