using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;

namespace AgentSteps.Benchmarks;

/// <summary>
/// What one tool call costs: an LLM step whose fake model answers at once, plus one direct call of the tool from code,
/// against the same LLM step offering that tool, whose fake model first calls it once and then answers. The difference
/// is the tool call's overhead: reading and checking the arguments, the call through the proxy, its record, the result
/// sent back as text, and one more model call (to a fake that does no I/O and allocates nothing). Once for a code step
/// offered as a tool, once for an external function (<see cref="AIFunctionFactory.Create(Delegate, string?, string?, System.Text.Json.JsonSerializerOptions?)"/>).
/// </summary>
[MemoryDiagnoser]
public class ToolCallBenchmarks
{
    public const string FunctionName = "add_numbers";

    private ToolWorkflow _workflow = null!;
    private RuntimeOptions _options = null!;
    private AIFunction _function = null!;
    private FunctionCallContent _functionCall = null!;

    [GlobalSetup]
    public void Setup()
    {
        _workflow = Steps.Create<ToolWorkflow>();
        _function = AIFunctionFactory.Create((int a, int b) => a + b, FunctionName, "Adds two numbers.");
        var client = new ToolCallingChatClient(nameof(ToolWorkflow.Add), FunctionName);
        _functionCall = client.CallOf(FunctionName);
        _options = new RuntimeOptions { ChatClient = client };
        _options.Tools.Add(_function);
        Check();
    }

    [Benchmark(Baseline = true, Description = "Tool: LLM step alone (answers at once)")]
    [BenchmarkCategory("Tool")]
    public async Task<Answer> LlmAlone()
    {
        using var runtime = new Runtime(_options);
        return await _workflow.AnswerAsync("What is 2 + 3?");
    }

    [Benchmark(Description = "Tool: code step alone, called from code")]
    [BenchmarkCategory("Tool")]
    public int StepAlone()
    {
        using var runtime = new Runtime(_options);
        return _workflow.Add(2, 3);
    }

    [Benchmark(Description = "Tool: (a) LLM step + code step called from code")]
    [BenchmarkCategory("Tool")]
    public async Task<int> LlmThenStep()
    {
        using var runtime = new Runtime(_options);
        var answer = await _workflow.AnswerAsync("What is 2 + 3?");
        return answer.Text.Length + _workflow.Add(2, 3);
    }

    [Benchmark(Description = "Tool: (b) LLM step calling the code step as a tool")]
    [BenchmarkCategory("Tool")]
    public async Task<Answer> LlmWithStepTool()
    {
        using var runtime = new Runtime(_options);
        return await _workflow.AnswerWithStepToolAsync("What is 2 + 3?");
    }

    [Benchmark(Description = "Tool: (a) LLM step + AIFunction invoked from code")]
    [BenchmarkCategory("Tool")]
    public async Task<object?> LlmThenFunction()
    {
        using var runtime = new Runtime(_options);
        await _workflow.AnswerAsync("What is 2 + 3?");
        return await _function.InvokeAsync(new AIFunctionArguments(_functionCall.Arguments));
    }

    [Benchmark(Description = "Tool: (b) LLM step calling the AIFunction as a tool")]
    [BenchmarkCategory("Tool")]
    public async Task<Answer> LlmWithFunctionTool()
    {
        using var runtime = new Runtime(_options);
        return await _workflow.AnswerWithFunctionToolAsync("What is 2 + 3?");
    }

    /// <summary>Makes sure the tool benchmarks measure what they say: one recorded tool call under the LLM step, whose result reached the model.</summary>
    private void Check()
    {
        using var runtime = new Runtime(_options);
        _workflow.AnswerWithStepToolAsync("q").GetAwaiter().GetResult();
        _workflow.AnswerWithFunctionToolAsync("q").GetAwaiter().GetResult();
        foreach (var name in new[] { nameof(ToolWorkflow.Add), FunctionName })
        {
            var call = runtime.ExecutedSteps.SingleOrDefault(s => s.Name == name);
            if (call?.Parent is null || call.Exception is not null || call.Result?.ToString() != "5")
            {
                throw new InvalidOperationException($"The tool '{name}' was not called once as a recorded child step returning 5.");
            }
        }
    }
}
