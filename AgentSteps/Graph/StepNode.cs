using System.Reflection;

namespace AgentSteps;

/// <summary>A step in a <see cref="StepGraph"/>, with the calls it makes.</summary>
public sealed class StepNode
{
    private readonly List<StepEdge> _children = [];
    private readonly List<StepNode> _inputs = [];
    private readonly List<string> _externalTools = [];

    internal StepNode(MethodInfo method, StepAttribute attribute, string name, string workflow)
    {
        Method = method;
        Name = name;
        Workflow = workflow;
        Kind = method.IsAbstract ? StepKind.Llm : StepKind.Code;
        Model = Kind == StepKind.Llm ? attribute.Model : null;
        MaxLoops = attribute.MaxLoops;
        RequiresApproval = attribute.RequiresApproval;

        // Only a model calls tools; a blank or repeated name adds nothing to draw.
        ToolNames = Kind == StepKind.Llm && attribute.Tools is { } tools
            ? tools.Where(t => !string.IsNullOrWhiteSpace(t)).Distinct(StringComparer.Ordinal).ToArray()
            : [];
    }

    /// <summary>Gets the step's name: its method name, or its signature (<c>Go(string, int)</c>) when the workflow has several steps of that name.</summary>
    public string Name { get; }

    /// <summary>Gets the name of the workflow the step belongs to in this graph (the graph's workflow for its inherited steps), such as <c>Extract&lt;Item&gt;</c>.</summary>
    public string Workflow { get; }

    /// <summary>Gets <c>Workflow.Name</c>.</summary>
    public string QualifiedName => Workflow + "." + Name;

    /// <summary>Gets whether the step runs code or calls a model.</summary>
    public StepKind Kind { get; }

    /// <summary>Gets the model of an LLM step, when its attribute names one.</summary>
    public string? Model { get; }

    /// <summary>Gets the step's <see cref="StepAttribute.MaxLoops"/> (0 for no limit).</summary>
    public int MaxLoops { get; }

    /// <summary>
    /// Gets the step's <see cref="StepAttribute.RequiresApproval"/>: whether a model's call of it as a tool is approved
    /// first.
    /// </summary>
    public bool RequiresApproval { get; }

    /// <summary>
    /// Gets the calls this step makes. A code step's calls are in IL order: source order, except where the compiler
    /// reorders code (it emits the false arm of <c>?:</c> first). An LLM step's are its tool calls
    /// (<see cref="StepEdge.IsToolCall"/>), in the order of its <see cref="StepAttribute.Tools"/>.
    /// </summary>
    public IReadOnlyList<StepEdge> Children => _children;

    /// <summary>
    /// Gets the names in the step's <see cref="StepAttribute.Tools"/> that match no step of its workflow: tools the
    /// runtime looks up in <see cref="RuntimeOptions.Tools"/>, which the IL cannot show.
    /// </summary>
    public IReadOnlyList<string> ExternalTools => _externalTools;

    /// <summary>Gets the steps whose results are passed into calls of this step, over every caller in the graph.</summary>
    public IReadOnlyList<StepNode> Inputs => _inputs;

    /// <summary>Gets a value indicating whether the step calls itself.</summary>
    public bool CallsItself => _children.Exists(e => ReferenceEquals(e.Target, this));

    internal MethodInfo Method { get; }

    /// <summary>Gets the distinct, non-blank names of an LLM step's <see cref="StepAttribute.Tools"/>.</summary>
    internal IReadOnlyList<string> ToolNames { get; }

    /// <inheritdoc />
    public override string ToString() => QualifiedName;

    internal void AddExternalTool(string name) => _externalTools.Add(name);

    internal void AddChild(StepEdge edge)
    {
        _children.Add(edge);
        foreach (var input in edge.Inputs)
        {
            if (!edge.Target._inputs.Contains(input))
            {
                edge.Target._inputs.Add(input);
            }
        }
    }
}
