using Microsoft.Agents.AI.Workflows;
using Microsoft.Extensions.AI;
using Newtonsoft.Json;

namespace AgentSteps.Benchmarks;

/// <summary>The same two workflows built with Microsoft Agent Framework workflows: executors joined by edges.</summary>
public static class AgentFrameworkWorkflows
{
    public static Workflow Code()
    {
        var parse = new FuncExecutor("Parse", x => x + 1);
        var transform = new FuncExecutor("Transform", x => x * 2);
        var format = new FuncExecutor("Format", x => x - 3);
        var builder = new WorkflowBuilder(parse);
        builder.AddEdge(parse, transform).AddEdge(transform, format).WithOutputFrom(format);
        return builder.Build();
    }

    public static Workflow Llm(IChatClient client)
    {
        var draft = new ModelExecutor<string, Recipe>("Draft", client, "Draft a recipe.", "Recipe");
        var improve = new ModelExecutor<Recipe, Recipe>("Improve", client, "Improve the recipe.", "Recipe");
        var validate = new ModelExecutor<Recipe, Verdict>("Validate", client, "Validate the recipe.", "Verdict");
        var builder = new WorkflowBuilder(draft);
        builder.AddEdge(draft, improve).AddEdge(improve, validate).WithOutputFrom(validate);
        return builder.Build();
    }

    public static async Task<object?> RunAsync<TInput>(Workflow workflow, TInput input)
        where TInput : notnull
    {
        await using Run run = await InProcessExecution.RunAsync(workflow, input);
        object? output = null;
        foreach (var evt in run.NewEvents)
        {
            if (evt is WorkflowOutputEvent done)
            {
                output = done.Data;
            }
        }

        return output;
    }

    private sealed class FuncExecutor(string id, Func<int, int> body) : Executor<int, int>(id)
    {
        public override ValueTask<int> HandleAsync(int message, IWorkflowContext context, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(body(message));
    }

    /// <summary>What a hand-written LLM executor does: prompt, call, parse.</summary>
    private sealed class ModelExecutor<TIn, TOut>(string id, IChatClient client, string system, string schemaName) : Executor<TIn, TOut>(id)
        where TIn : notnull
    {
        private readonly ChatOptions _options = new()
        {
            ModelId = "fake",
            ResponseFormat = ChatResponseFormat.ForJsonSchema(System.Text.Json.JsonDocument.Parse("{\"type\":\"object\"}").RootElement, schemaName),
        };

        public override async ValueTask<TOut> HandleAsync(TIn message, IWorkflowContext context, CancellationToken cancellationToken = default)
        {
            var prompt = message as string ?? JsonConvert.SerializeObject(message);
            var response = await client.GetResponseAsync([new ChatMessage(ChatRole.System, system), new ChatMessage(ChatRole.User, prompt)], _options, cancellationToken);
            return JsonConvert.DeserializeObject<TOut>(response.Text)!;
        }
    }
}
