using System.Globalization;
using AgentSteps.Inspection;
using Microsoft.Extensions.AI;

namespace AgentSteps;

/// <summary>
/// One finished call of a step: its arguments, its result or exception, where it sits in the call tree, its timing and,
/// for an LLM step, the model and the tokens it used.
/// </summary>
public sealed class ExecutedStep
{
    private readonly StepDescriptor _descriptor;
    private readonly object?[] _arguments;
    private IReadOnlyDictionary<string, object?>? _argumentView;
    private List<ExecutedStep>? _children;

    internal ExecutedStep(StepDescriptor descriptor, object?[] arguments, ExecutedStep? parent, Runtime owner)
    {
        _descriptor = descriptor;
        _arguments = arguments;
        Owner = owner;
        Parent = parent;
        StartedAt = DateTimeOffset.UtcNow;
    }

    /// <summary>Gets the step's name, such as <c>DraftRecipe</c>; an overloaded step's includes its parameter types, such as <c>Go(string, int)</c>.</summary>
    public string Name => _descriptor.Name;

    /// <summary>Gets the name of the workflow class the step ran in (the proxied class, not a base class that declares it), such as <c>Extract&lt;Item&gt;</c>.</summary>
    public string Workflow => _descriptor.Workflow;

    /// <summary>Gets whether the step ran code or called a model.</summary>
    public StepKind Kind => _descriptor.Kind;

    /// <summary>Gets the arguments by parameter name (a <see cref="CancellationToken"/> parameter is left out).</summary>
    public IReadOnlyDictionary<string, object?> Arguments =>
        _argumentView ??= new StepArguments(_descriptor.ArgumentNames, _descriptor.ArgumentIndices, _arguments);

    /// <summary>Gets the step's result, or <see langword="null"/> when it failed or returns nothing.</summary>
    public object? Result { get; private set; }

    /// <summary>Gets the exception the step ended with, or <see langword="null"/> when it succeeded.</summary>
    public Exception? Exception { get; private set; }

    /// <summary>Gets a value indicating whether the step returned without an exception.</summary>
    public bool Succeeded => Exception is null;

    /// <summary>Gets the step that called this one, or <see langword="null"/> for a step called from outside any step.</summary>
    public ExecutedStep? Parent { get; }

    /// <summary>Gets the steps this one called, in the order they finished.</summary>
    public IReadOnlyList<ExecutedStep> Children
    {
        get
        {
            lock (Owner.Gate)
            {
                return _children is null ? [] : _children.ToArray();
            }
        }
    }

    /// <summary>Gets the runtime that recorded the step.</summary>
    internal Runtime Owner { get; }

    /// <summary>Gets when the step started.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>Gets how long the step took, its children included.</summary>
    public TimeSpan Duration { get; private set; }

    /// <summary>Gets which entry of this step within the run this was, counting from 1 (compare with <see cref="StepAttribute.MaxLoops"/>).</summary>
    public int Loop { get; internal set; }

    /// <summary>Gets the model that answered an LLM step, after overrides and aliases; <see langword="null"/> for a code step.</summary>
    public string? Model { get; internal set; }

    /// <summary>Gets how many model calls an LLM step made (1, plus one per output retry).</summary>
    public int ModelCalls { get; internal set; }

    /// <summary>Gets the tokens an LLM step used over all its model calls, when the provider reported them.</summary>
    public UsageDetails? Usage { get; private set; }

    /// <inheritdoc />
    public override string ToString()
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{Name} #{Loop} ({Duration.TotalMilliseconds:0.#} ms");
        if (Model is not null)
        {
            text += $", {Model}";
        }

        if (Usage is { } usage)
        {
            text += string.Create(CultureInfo.InvariantCulture, $", {usage.InputTokenCount ?? 0} in / {usage.OutputTokenCount ?? 0} out tokens");
        }

        return text + ")" + (Exception is null ? string.Empty : $" failed: {Exception.GetType().Name}");
    }

    internal void AddUsage(UsageDetails? usage)
    {
        if (usage is null)
        {
            return;
        }

        if (Usage is null)
        {
            Usage = new UsageDetails();
        }

        Usage.Add(usage);
    }

    internal void Complete(object? result, TimeSpan duration)
    {
        Result = result;
        Duration = duration;
    }

    internal void Fail(Exception exception, TimeSpan duration)
    {
        Exception = exception;
        Duration = duration;
    }

    /// <summary>Called under the runtime's lock.</summary>
    internal void AddChild(ExecutedStep child) => (_children ??= []).Add(child);
}
