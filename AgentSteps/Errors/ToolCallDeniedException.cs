namespace AgentSteps;

/// <summary>
/// Recorded as the exception of a tool call that <see cref="RuntimeOptions.ApprovalHandler"/> denied: the step never
/// ran, and the model was told that the call was denied. The LLM step that made the call goes on.
/// </summary>
public sealed class ToolCallDeniedException : AgentStepsException
{
    /// <summary>Initializes a new instance of the <see cref="ToolCallDeniedException"/> class.</summary>
    /// <param name="toolName">The name of the tool the model called.</param>
    /// <param name="callId">The provider's id of the call.</param>
    public ToolCallDeniedException(string toolName, string callId)
        : base($"The call '{callId}' of tool '{toolName}' was denied by RuntimeOptions.ApprovalHandler, so it did not run; the model was told.")
    {
        ToolName = toolName;
        CallId = callId;
    }

    /// <summary>Gets the name of the tool the model called.</summary>
    public string ToolName { get; }

    /// <summary>Gets the provider's id of the denied call.</summary>
    public string CallId { get; }
}
