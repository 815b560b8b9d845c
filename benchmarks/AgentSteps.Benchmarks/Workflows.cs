using System.ComponentModel;
using System.Runtime.CompilerServices;
using Castle.DynamicProxy;

namespace AgentSteps.Benchmarks;

public record Recipe(string Description, List<string> Ingredients, List<string> Instructions, List<string> Tips);

public record Verdict(bool IsValid, string? Reason = null);

/// <summary>The 3-step code workflow, as plain C#: the floor.</summary>
public class PlainSteps
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public virtual int Parse(int x) => x + 1;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public virtual int Transform(int x) => x * 2;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public virtual int Format(int x) => x - 3;

    public int Run(int x) => Format(Transform(Parse(x)));
}

/// <summary>The same workflow as AgentSteps code steps.</summary>
public abstract class CodeWorkflow
{
    [Step]
    public virtual int Parse(int x) => x + 1;

    [Step]
    public virtual int Transform(int x) => x * 2;

    [Step]
    public virtual int Format(int x) => x - 3;

    [Step]
    public virtual int Run(int x) => Format(Transform(Parse(x)));
}

/// <summary>The 3-step LLM workflow as AgentSteps LLM steps.</summary>
public abstract class LlmWorkflow
{
    [Step(Model = "fake")]
    [Description("Draft a recipe.")]
    public abstract Recipe Draft(string query);

    [Step(Model = "fake")]
    [Description("Improve the recipe.")]
    public abstract Recipe Improve(Recipe recipe);

    [Step(Model = "fake")]
    [Description("Validate the recipe.")]
    public abstract Verdict Validate(Recipe recipe);

    [Step]
    public virtual bool Run(string query) => Validate(Improve(Draft(query))).IsValid;

    [Step(Model = "fake")]
    [Description("Draft a recipe.")]
    public abstract Task<Recipe> DraftAsync(string query);

    [Step(Model = "fake")]
    [Description("Improve the recipe.")]
    public abstract Task<Recipe> ImproveAsync(Recipe recipe);

    [Step(Model = "fake")]
    [Description("Validate the recipe.")]
    public abstract Task<Verdict> ValidateAsync(Recipe recipe);

    [Step]
    public virtual async Task<bool> RunAsync(string query) => (await ValidateAsync(await ImproveAsync(await DraftAsync(query)))).IsValid;
}

/// <summary>The 3-step LLM workflow as plain C#: call the client, parse the reply.</summary>
public class PlainLlmSteps(Microsoft.Extensions.AI.IChatClient client)
{
    private static readonly Microsoft.Extensions.AI.ChatOptions s_recipe = Options("Recipe");
    private static readonly Microsoft.Extensions.AI.ChatOptions s_verdict = Options("Verdict");

    public virtual Recipe Draft(string query) => Ask<Recipe>("Draft a recipe.", query, s_recipe);

    public virtual Recipe Improve(Recipe recipe) => Ask<Recipe>("Improve the recipe.", Newtonsoft.Json.JsonConvert.SerializeObject(recipe), s_recipe);

    public virtual Verdict Validate(Recipe recipe) => Ask<Verdict>("Validate the recipe.", Newtonsoft.Json.JsonConvert.SerializeObject(recipe), s_verdict);

    public bool Run(string query) => Validate(Improve(Draft(query))).IsValid;

    private static Microsoft.Extensions.AI.ChatOptions Options(string schema) => new()
    {
        ModelId = "fake",
        ResponseFormat = Microsoft.Extensions.AI.ChatResponseFormat.ForJsonSchema(System.Text.Json.JsonDocument.Parse("{\"type\":\"object\"}").RootElement, schema),
    };

    private T Ask<T>(string system, string user, Microsoft.Extensions.AI.ChatOptions options)
    {
        var response = client.GetResponseAsync(
            [new(Microsoft.Extensions.AI.ChatRole.System, system), new(Microsoft.Extensions.AI.ChatRole.User, user)], options).GetAwaiter().GetResult();
        return Newtonsoft.Json.JsonConvert.DeserializeObject<T>(response.Text)!;
    }
}

/// <summary>A Castle interceptor that only proceeds: the proxy's own floor.</summary>
public sealed class PassThroughInterceptor : IInterceptor
{
    public void Intercept(IInvocation invocation) => invocation.Proceed();
}
