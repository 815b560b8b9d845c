namespace AgentSteps;

/// <summary>
/// Thrown by <see cref="Steps.Create{TWorkflow}(object?[])"/> when a workflow class cannot work as written.
/// It lists every problem found, each naming the member and the fix.
/// </summary>
public sealed class WorkflowDefinitionException : AgentStepsException
{
    /// <summary>Initializes a new instance of the <see cref="WorkflowDefinitionException"/> class.</summary>
    /// <param name="workflowType">The workflow class.</param>
    /// <param name="problems">The problems found, each a whole sentence.</param>
    public WorkflowDefinitionException(Type workflowType, IReadOnlyList<string> problems)
        : base(problems is { Count: 1 }
            ? problems[0]
            : $"Workflow '{workflowType?.Name}' has {problems?.Count} problems:{Environment.NewLine}- " + string.Join(Environment.NewLine + "- ", problems ?? []))
    {
        WorkflowType = workflowType!;
        Problems = problems!;
    }

    /// <summary>Gets the workflow class that was inspected.</summary>
    public Type WorkflowType { get; }

    /// <summary>Gets every problem found, each a whole sentence naming the member and the fix.</summary>
    public IReadOnlyList<string> Problems { get; }
}
