using Microsoft.Extensions.AI;

namespace AgentSteps.Pipeline;

/// <summary>
/// The end of an external tool's pipeline: invokes the <see cref="AIFunction"/> with the model's arguments and returns
/// what it returned as the text the model is sent, which is also what the trace records.
/// </summary>
internal static class ExternalToolHandler
{
    public static readonly StepHandler Instance = static context => RunAsync(context);

    private static async ValueTask<object?> RunAsync(StepContext context)
    {
        var call = context.ToolCall!;
        var tool = context.Descriptor.External!;
        var arguments = new AIFunctionArguments(call.Content.Arguments ?? new Dictionary<string, object?>());
        var result = await tool.Function.InvokeAsync(arguments, context.CancellationToken).ConfigureAwait(false);
        return Tools.ToolRound.ResultText(result);
    }
}
