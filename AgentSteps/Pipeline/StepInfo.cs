using System.Reflection;
using AgentSteps.Inspection;

namespace AgentSteps;

/// <summary>
/// What AgentSteps knows about a step before it runs, computed once when its workflow is first created: its name, the
/// workflow and method that declare it, whether it runs code or calls a model, its <see cref="StepAttribute"/>, its result
/// type and, for an LLM step with structured output, the JSON schema the model must follow.
/// </summary>
public sealed class StepInfo
{
    private readonly StepDescriptor _descriptor;

    internal StepInfo(StepDescriptor descriptor) => _descriptor = descriptor;

    /// <summary>Gets the step's name as the trace shows it, such as <c>DraftRecipe</c>.</summary>
    public string Name => _descriptor.Name;

    /// <summary>Gets the step's name with its workflow's, such as <c>RecipeWorkflow.DraftRecipe</c>, as errors show it.</summary>
    public string QualifiedName => _descriptor.QualifiedName;

    /// <summary>Gets the workflow class the step runs in: the class given to <c>Steps.Create</c>, not a base class that declares the method.</summary>
    public Type WorkflowType => _descriptor.WorkflowType;

    /// <summary>Gets the method that declares the step.</summary>
    public MethodInfo Method => _descriptor.Method;

    /// <summary>Gets whether the step runs code or calls a model.</summary>
    public StepKind Kind => _descriptor.Kind;

    /// <summary>Gets the step's attribute, with its model, loop limit and model options.</summary>
    public StepAttribute Attribute => _descriptor.Attribute;

    /// <summary>Gets the type of the step's result: <c>T</c> for a step returning <c>T</c>, <c>Task&lt;T&gt;</c> or <c>ValueTask&lt;T&gt;</c>; <see cref="void"/> for none.</summary>
    public Type ResultType => _descriptor.Shape.ResultType;

    /// <summary>
    /// Gets the JSON schema an LLM step's reply must follow, as sent to the model; <see langword="null"/> for a code step,
    /// an external tool, an LLM step that returns plain text, and one that returns a union (whose variants are answered
    /// through output tools, each with its own schema; see <see cref="UnionVariants"/>).
    /// </summary>
    public string? OutputSchema => _descriptor.Output?.SchemaJson;

    /// <summary>
    /// Gets the variants of an LLM step that returns a union (an abstract type), keyed by the name of the output tool the
    /// model calls to answer with each; empty for any other step.
    /// </summary>
    public IReadOnlyDictionary<string, Type> UnionVariants =>
        field ??= _descriptor.Union is { } union
            ? union.Variants.ToDictionary(v => v.Name, v => v.Type, StringComparer.Ordinal)
            : new Dictionary<string, Type>(StringComparer.Ordinal);

    /// <summary>Gets the names this LLM step offers as tools (<see cref="StepAttribute.Tools"/>); empty for any other step.</summary>
    public IReadOnlyList<string> Tools => _descriptor.Attribute.Tools ?? [];

    /// <inheritdoc />
    public override string ToString() => QualifiedName;
}
