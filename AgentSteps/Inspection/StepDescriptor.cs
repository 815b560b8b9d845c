using System.Reflection;
using AgentSteps.StructuredOutput;
using Microsoft.Extensions.AI;

namespace AgentSteps.Inspection;

/// <summary>
/// Everything a call of one step needs, computed once at <c>Steps.Create</c> so that a call does no reflection.
/// </summary>
internal sealed class StepDescriptor
{
    public StepDescriptor(MethodInfo method, StepAttribute attribute, StepKind kind, ReturnShape shape, string[] argumentNames, int[] argumentIndices, int cancellationTokenIndex)
    {
        Method = method;
        Attribute = attribute;
        Kind = kind;
        Shape = shape;
        Name = method.Name;
        QualifiedName = method.DeclaringType!.Name + "." + method.Name;
        MaxLoops = attribute.MaxLoops;
        ArgumentNames = argumentNames;
        ArgumentIndices = argumentIndices;
        CancellationTokenIndex = cancellationTokenIndex;
    }

    /// <summary>
    /// Gets a number unique to this step in the process, so a run can count entries in an array; assigned when the
    /// workflow's descriptor is kept, so ids stay dense (one per step method in the process).
    /// </summary>
    public int Id { get; internal set; } = -1;

    public MethodInfo Method { get; }

    /// <summary>Gets the public view of this descriptor that middleware sees as <see cref="StepContext.Info"/>.</summary>
    public StepInfo Info => field ??= new StepInfo(this);

    public StepAttribute Attribute { get; }

    public StepKind Kind { get; }

    public ReturnShape Shape { get; }

    /// <summary>Gets the method name, as recorded on <see cref="ExecutedStep.Name"/>.</summary>
    public string Name { get; }

    /// <summary>Gets <c>Workflow.Method</c>, as used in messages.</summary>
    public string QualifiedName { get; }

    public int MaxLoops { get; }

    /// <summary>Gets the names of the parameters that are arguments (all but a <see cref="CancellationToken"/>).</summary>
    public string[] ArgumentNames { get; }

    /// <summary>Gets the positions of those parameters in the call's argument array.</summary>
    public int[] ArgumentIndices { get; }

    /// <summary>Gets the position of the <see cref="CancellationToken"/> parameter, or -1.</summary>
    public int CancellationTokenIndex { get; }

    // LLM steps only.
    public string? SystemPrompt { get; init; }

    /// <summary>Gets the system message every call of this step sends, made once.</summary>
    public ChatMessage? SystemMessage => SystemPrompt is null ? null : field ??= new ChatMessage(ChatRole.System, SystemPrompt);

    public PromptTemplate? Prompt { get; init; }

    public OutputContract? Output { get; init; }

    /// <summary>Gets the chat options every call of this step starts from (cloned per call: clients may change them).</summary>
    public ChatOptions? ChatOptions { get; init; }

    public override string ToString() => QualifiedName;
}
