using System.Linq.Expressions;
using System.Text.Json;
using AgentSteps.Inspection;
using AgentSteps.StructuredOutput;
using Microsoft.Extensions.AI;

namespace AgentSteps.Tools;

/// <summary>
/// A step of the workflow offered to the model as a function: its name, description and strict parameter schema, as a
/// Microsoft.Extensions.AI declaration (not an invocable <see cref="AIFunction"/>, so that a
/// <c>FunctionInvokingChatClient</c> in the user's client passes the call back rather than running it itself). The
/// call itself goes through the workflow's proxy (see <see cref="ToolRound"/>), so it is recorded as a child step.
/// Made once per step, at <c>Steps.Create</c>.
/// </summary>
internal sealed class StepTool : AIFunctionDeclaration
{
    private readonly JsonElement _schema;
    private readonly Func<object, object?[]> _read;
    private readonly IReadOnlyDictionary<string, object?> _additionalProperties;
    private readonly int _parameterCount;

    private StepTool(StepDescriptor step, string? description, OutputContract arguments, Func<object, object?[]> read, Func<object, object?[], object?> call)
    {
        Step = step;
        Description = description ?? string.Empty;
        Arguments = arguments;
        _read = read;
        Call = call;
        _parameterCount = step.Method.GetParameters().Length;
        _schema = JsonDocument.Parse(arguments.SchemaJson!).RootElement.Clone();

        // Microsoft.Extensions.AI.OpenAI sends "strict": true for a function only when asked through this key; the schema
        // is made to strict mode's rules, so the provider holds the model to it.
        _additionalProperties = new AdditionalPropertiesDictionary { ["strict"] = true };
    }

    public override string Name => Step.Method.Name;

    public override string Description { get; }

    public override JsonElement JsonSchema => _schema;

    public override IReadOnlyDictionary<string, object?> AdditionalProperties => _additionalProperties;

    public StepDescriptor Step { get; }

    /// <summary>Gets the contract the call's arguments are read and validated with.</summary>
    public OutputContract Arguments { get; }

    /// <summary>Gets a virtual call of the step's method on a proxy, so that the call is intercepted like any other.</summary>
    public Func<object, object?[], object?> Call { get; }

    /// <summary>
    /// Makes the tool, or returns the reason it cannot be one (named parameter types that strict mode cannot express).
    /// </summary>
    public static StepTool? TryCreate(StepDescriptor step, string? description, out string? problem)
    {
        problem = null;
        var method = step.Method;
        if (method.ContainsGenericParameters)
        {
            problem = "it is generic, so the model could not choose its type arguments";
            return null;
        }

        if (step.Shape.ItemType is { } itemType)
        {
            problem = $"it streams its result (IAsyncEnumerable<{Inspection.StepNames.TypeName(itemType)}>), while a tool's result goes back to the model whole; " +
                      $"return Task<IReadOnlyList<{Inspection.StepNames.TypeName(itemType)}>> from a step offered as a tool";
            return null;
        }

        var call = Pipeline.BodyInvoker.TryCreate(method, virtualCall: true);
        if (call is null)
        {
            problem = "its signature cannot be called through the proxy as a tool";
            return null;
        }

        Type argumentsType;
        OutputContract arguments;
        try
        {
            argumentsType = ToolArgumentTypes.Create(step.WorkflowType, method, step.ArgumentIndices);
            arguments = OutputContract.For(argumentsType);
        }
        catch (OutputSchemaException e)
        {
            problem = $"its parameters cannot be described to the model: {e.Message}";
            return null;
        }
        catch (Exception e) when (e is TypeLoadException or NotSupportedException or ArgumentException)
        {
            problem = $"its parameters cannot be described to the model: {e.Message}";
            return null;
        }

        return new StepTool(step, description, arguments, ReaderFor(argumentsType, step.ArgumentNames), call);
    }

    /// <summary>
    /// Turns the parsed arguments into the method's argument array: each argument at its parameter's position, and the
    /// LLM step's cancellation token at the position of a <see cref="CancellationToken"/> parameter.
    /// </summary>
    public object?[] ArgumentArray(object parsed, CancellationToken cancellationToken)
    {
        var values = _read(parsed);
        var arguments = new object?[_parameterCount];
        var indices = Step.ArgumentIndices;
        for (int i = 0; i < indices.Length; i++)
        {
            arguments[indices[i]] = values[i];
        }

        if (Step.CancellationTokenIndex >= 0)
        {
            arguments[Step.CancellationTokenIndex] = cancellationToken;
        }

        return arguments;
    }

    private static Func<object, object?[]> ReaderFor(Type argumentsType, string[] names)
    {
        var source = Expression.Parameter(typeof(object), "source");
        var typed = Expression.Convert(source, argumentsType);
        var values = names.Select(name => (Expression)Expression.Convert(Expression.Property(typed, name), typeof(object)));
        return Expression.Lambda<Func<object, object?[]>>(Expression.NewArrayInit(typeof(object), values), source).Compile();
    }
}
