using Microsoft.Extensions.AI;

namespace AgentSteps;

/// <summary>Turns a chat client's broken answer (no response at all) into a typed error instead of a null dereference.</summary>
internal static class ModelResponseGuard
{
    /// <exception cref="StepModelException"><paramref name="response"/> is <see langword="null"/>.</exception>
    public static ChatResponse ThrowIfNull(ChatResponse? response, string stepName, string model) =>
        response ?? throw new StepModelException(stepName, model,
            new InvalidOperationException("The chat client returned no response (null); check the IChatClient implementation or middleware in use."));
}
