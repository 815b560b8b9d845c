using Microsoft.Extensions.AI;

namespace AgentSteps.Pipeline;

/// <summary>
/// Makes one model call of an LLM step: the step's chat options for this call, the count of calls on the step (a call
/// that throws counts too), the log lines, the usage, and the wrapping of the client's failures in
/// <see cref="StepModelException"/>.
/// </summary>
internal static class ModelInvoker
{
    public static async Task<ChatResponse> GetResponseAsync(StepContext context, IChatClient client, string model, List<ChatMessage> messages, int call)
    {
        var descriptor = context.Descriptor;
        var runtime = context.Runtime;
        var step = context.Step;
        var cancellationToken = context.CancellationToken;

        // Cloned per call: clients and middleware may change the options they are given.
        var options = descriptor.ChatOptions!.Clone();
        options.ModelId = model;
        runtime.Log.ModelCall(descriptor, model, call, messages[^1].Text);
        step.CountModelCall();
        ChatResponse? response;
        try
        {
            response = await client.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is not AgentStepsException)
        {
            throw new StepModelException(descriptor.QualifiedName, model, e);
        }

        if (response is null)
        {
            throw new StepModelException(
                descriptor.QualifiedName,
                model,
                new InvalidOperationException($"The model client ({client.GetType().Name}) returned no response (null) instead of a ChatResponse."));
        }

        step.AddUsage(response.Usage);
        step.ResponseModel = response.ModelId;
        runtime.Log.ModelReply(descriptor, model, call, response.Text, response.Usage);
        return response;
    }
}
