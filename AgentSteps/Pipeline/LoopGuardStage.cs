using Microsoft.Extensions.AI;

namespace AgentSteps.Pipeline;

/// <summary>
/// Guards a step's entry: throws when the entry goes past its <see cref="StepAttribute.MaxLoops"/> (the run counts
/// entries as steps start, in <see cref="ExecutedStep.Loop"/>, under the lock that numbers them), and, for a model's tool
/// call of a step that <see cref="StepAttribute.RequiresApproval"/>, asks <see cref="RuntimeOptions.ApprovalHandler"/>
/// first. A denied call is recorded as a <see cref="ToolCallDeniedException"/>; it never runs.
/// </summary>
internal sealed class LoopGuardStage : IStepMiddleware
{
    public static readonly LoopGuardStage Instance = new();

    public ValueTask<object?> InvokeAsync(StepContext context, StepHandler next)
    {
        var descriptor = context.Descriptor;
        if (descriptor.MaxLoops > 0 && context.Step.Loop > descriptor.MaxLoops)
        {
            throw new MaxLoopsExceededException(descriptor.QualifiedName, descriptor.MaxLoops);
        }

        // Then the time limit and the cancellation from above (TimeLimitStage), called directly rather than composed as a
        // stage of its own, which would cost every step one more hop.
        return context.ToolCall is { } call && descriptor.Attribute.RequiresApproval
            ? ApproveAsync(context, call, next)
            : TimeLimitStage.Instance.InvokeAsync(context, next);
    }

    private static async ValueTask<object?> ApproveAsync(StepContext context, Tools.ToolCall call, StepHandler next)
    {
        // The tool round checks for a handler before any call of the reply runs.
        var runtime = context.Runtime;
        var handler = runtime.Configuration.ApprovalHandler!;
        bool approved;

        // Calls of one reply run at once, but a person answers one question at a time: the run asks one at a time.
        var gate = runtime.ApprovalGate;
        await gate.WaitAsync(call.CancellationToken).ConfigureAwait(false);
        try
        {
            // Some servers send calls without ids, which the request type refuses: the step's key stands in for the id.
            var requestId = string.IsNullOrWhiteSpace(call.CallId) ? context.Step.Key : call.CallId;
            approved = await handler(new ToolApprovalRequestContent(requestId, call.Content), call.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The handler's own failure is the application's, not the model's: it fails the LLM step.
            call.ApprovalFailure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
            throw;
        }
        finally
        {
            gate.Release();
        }

        if (!approved)
        {
            throw new ToolCallDeniedException(call.Name, call.CallId);
        }

        return await TimeLimitStage.Instance.InvokeAsync(context, next).ConfigureAwait(false);
    }
}
