using AgentSteps.Inspection;
using Microsoft.Extensions.AI;

namespace AgentSteps.Tools;

/// <summary>
/// The tools one LLM step offers under one runtime configuration: its step tools, the external tools its names find in
/// <see cref="RuntimeOptions.Tools"/>, and a union's output tools, with the chat options that offer them. Resolved at the
/// step's first call under the configuration and kept by it.
/// </summary>
internal sealed class ToolSet
{
    private readonly Dictionary<string, object> _byName;
    private readonly ChatOptions _options;
    private ChatOptions? _modelOptions;

    private ToolSet(StepDescriptor step, Dictionary<string, object> byName, List<AITool> offered)
    {
        Step = step;
        _byName = byName;
        Union = step.Union;
        Names = string.Join(", ", byName.Keys.Where(name => Union?.Find(name) is null));
        if (Union is not null)
        {
            Names = Names.Length == 0 ? $"(to answer) {Union.Names}" : $"{Names}; to answer, {Union.Names}";
        }
        _options = step.ChatOptions!.Clone();
        _options.Tools = offered;
        if (Union is not null)
        {
            // The answer is a call of one output tool, so the provider is asked for a tool call on every turn.
            _options.ToolMode = ChatToolMode.RequireAny;
        }
    }

    public StepDescriptor Step { get; }

    public UnionOutput? Union { get; }

    /// <summary>Gets the names of the tools that are not output tools, comma-separated, for the errors sent back.</summary>
    public string Names { get; }

    /// <summary>Finds the tool a call names: a <see cref="StepTool"/>, an <see cref="ExternalTool"/>, a union's variant, or an <see cref="AITool"/> the provider runs.</summary>
    public object? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Gets the chat options of a call to <paramref name="model"/>, made once per model and shared, as the step's own are.</summary>
    public ChatOptions OptionsFor(string model) => Pipeline.ModelOptions.For(ref _modelOptions, _options, model);

    /// <summary>Resolves the step's tools against the configuration's <see cref="RuntimeOptions.Tools"/>.</summary>
    /// <exception cref="InvalidOperationException">A name the step offers is neither a step nor one of the tools.</exception>
    public static ToolSet Create(StepDescriptor step, IReadOnlyList<AITool> tools)
    {
        var byName = new Dictionary<string, object>(StringComparer.Ordinal);
        var offered = new List<AITool>();
        foreach (var tool in step.StepTools ?? [])
        {
            byName.Add(tool.Name, tool);
            offered.Add(tool);
        }

        foreach (var name in step.ExternalToolNames ?? [])
        {
            AITool? found = null;
            foreach (var tool in tools)
            {
                if (string.Equals(tool.Name, name, StringComparison.Ordinal))
                {
                    found = tool;
                    break;
                }
            }

            if (found is null)
            {
                var known = tools.Count == 0 ? "RuntimeOptions.Tools is empty" : "RuntimeOptions.Tools has " + string.Join(", ", tools.Select(t => $"'{t.Name}'"));
                var steps = step.WorkflowStepNames is { Length: > 0 } stepNames ? $"; the steps of {step.Workflow} are {string.Join(", ", stepNames.Select(n => $"'{n}'"))}" : string.Empty;
                throw new InvalidOperationException(
                    $"LLM step '{step.QualifiedName}' offers the tool '{name}', which is neither a step of {step.Workflow} nor in RuntimeOptions.Tools ({known}{steps}). " +
                    "Add the tool to RuntimeOptions.Tools (or with AddTool in the container), or fix the name in Tools on its [Step] attribute.");
            }

            if (found is AIFunction function)
            {
                var external = ExternalTool.For(function);
                byName.Add(name, external);
                offered.Add(external.Declaration);
            }
            else
            {
                // A tool the provider runs itself (web search, code interpreter): offered as it is; no call comes back.
                byName.Add(name, found);
                offered.Add(found);
            }
        }

        if (step.Union is { } union)
        {
            foreach (var variant in union.Variants)
            {
                if (!byName.TryAdd(variant.Name, variant))
                {
                    throw new InvalidOperationException(
                        $"LLM step '{step.QualifiedName}' returns the union {union.BaseType.Name}, whose variant {variant.Type.Name} is answered through a tool named '{variant.Name}', " +
                        "but it also offers a tool of that name. Rename the tool, or give the variant another [JsonDerivedType] discriminator.");
                }

                offered.Add(variant);
            }
        }

        return new ToolSet(step, byName, offered);
    }
}
