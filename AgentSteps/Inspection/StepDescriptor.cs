using System.Reflection;
using AgentSteps.StructuredOutput;
using Microsoft.Extensions.AI;

namespace AgentSteps.Inspection;

/// <summary>
/// Everything a call of one step needs, computed once at <c>Steps.Create</c> so that a call does no reflection.
/// </summary>
internal sealed class StepDescriptor
{
    private Func<object, object?[], object?>? _body;
    private bool _bodyBuilt;

    public StepDescriptor(Type workflowType, MethodInfo method, StepAttribute attribute, StepKind kind, ReturnShape shape, string[] argumentNames, int[] argumentIndices, int cancellationTokenIndex)
    {
        Method = method;
        Attribute = attribute;
        Kind = kind;
        Shape = shape;
        Name = StepNames.StepName(workflowType, method);
        WorkflowType = workflowType;
        Workflow = StepNames.TypeName(workflowType);
        QualifiedName = Workflow + "." + Name;
        MaxLoops = attribute.MaxLoops;
        Budget = Pipeline.BudgetLimits.For(attribute, QualifiedName);
        ArgumentNames = argumentNames;
        ArgumentIndices = argumentIndices;
        CancellationTokenIndex = cancellationTokenIndex;
    }

    /// <summary>
    /// Initializes a descriptor for an external tool (an <see cref="AIFunction"/> from <see cref="RuntimeOptions.Tools"/>)
    /// that a model calls: recorded as a step of kind <see cref="StepKind.Tool"/> named after the tool.
    /// </summary>
    public StepDescriptor(AIFunction function, MethodInfo method, StepAttribute attribute, ReturnShape shape, string[] argumentNames)
    {
        Method = method;
        Attribute = attribute;
        Kind = StepKind.Tool;
        Shape = shape;
        Name = function.Name;
        WorkflowType = function.GetType();
        Workflow = "tool";
        QualifiedName = function.Name;
        ArgumentNames = argumentNames;
        ArgumentIndices = Enumerable.Range(0, argumentNames.Length).ToArray();
        CancellationTokenIndex = -1;
        Id = WorkflowDescriptor.NextStepId();
    }

    /// <summary>
    /// Gets a number unique to this step in the process, so a run can count entries in an array; assigned when the
    /// workflow's descriptor is kept, so ids stay dense (one per step method in the process).
    /// </summary>
    public int Id { get; internal set; } = -1;

    public MethodInfo Method { get; }

    /// <summary>
    /// Gets a call of the code step's own body that bypasses Castle's invocation (see <see cref="Pipeline.BodyInvoker"/>),
    /// built on first use; <see langword="null"/> when the method's shape is not covered.
    /// </summary>
    public Func<object, object?[], object?>? Body
    {
        get
        {
            if (!Volatile.Read(ref _bodyBuilt))
            {
                _body = Pipeline.BodyInvoker.TryCreate(Method);
                Volatile.Write(ref _bodyBuilt, true);
            }

            return _body;
        }
    }

    /// <summary>Gets the public view of this descriptor that middleware sees as <see cref="StepContext.Info"/>.</summary>
    public StepInfo Info => field ??= new StepInfo(this);

    public StepAttribute Attribute { get; }

    public StepKind Kind { get; }

    public ReturnShape Shape { get; }

    /// <summary>
    /// Gets the step's name, as recorded on <see cref="ExecutedStep.Name"/>: the method name, or with its parameter types
    /// (<c>Go(string, int)</c>) when the workflow has several steps of that name.
    /// </summary>
    public string Name { get; }

    /// <summary>
    /// Gets the name of the workflow the step was inspected for (the proxied class, not the base class that declares an
    /// inherited step), as C# writes it: <c>Extract&lt;Item&gt;</c>.
    /// </summary>
    public string Workflow { get; }

    /// <summary>Gets the workflow class the step was inspected on (the proxied class, not a base class that declares the method).</summary>
    public Type WorkflowType { get; }

    /// <summary>Gets <c>Workflow.Name</c>, as used in messages and spans.</summary>
    public string QualifiedName { get; }

    public int MaxLoops { get; }

    /// <summary>Gets the budget of the step's whole subtree from its attribute, or <see langword="null"/> when it sets none.</summary>
    public Pipeline.BudgetLimits? Budget { get; }

    /// <summary>Gets the description a model sees when the step is offered as a tool: its <c>[Description]</c> or XML summary.</summary>
    public string? Description { get; init; }

    // LLM steps with tools or a union output only.

    /// <summary>Gets the steps of the workflow this LLM step offers as tools.</summary>
    public Tools.StepTool[]? StepTools { get; internal set; }

    /// <summary>Gets the names this LLM step offers that are not steps of its workflow: tools of <see cref="RuntimeOptions.Tools"/>.</summary>
    public string[]? ExternalToolNames { get; internal set; }

    /// <summary>Gets the names of the workflow's steps, for the error of a tool name that matches nothing (LLM steps with such names only).</summary>
    public string[]? WorkflowStepNames { get; internal set; }

    /// <summary>Gets the external tool this descriptor records calls of (<see cref="StepKind.Tool"/> only).</summary>
    public Tools.ExternalTool? External { get; init; }

    /// <summary>Gets the variants of a union output, answered through one output tool each.</summary>
    public Tools.UnionOutput? Union { get; init; }

    /// <summary>Gets whether calls of this LLM step offer tools (steps, external tools or a union's output tools).</summary>
    public bool HasTools => StepTools is { Length: > 0 } || ExternalToolNames is { Length: > 0 } || Union is not null;

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

    private ChatOptions? _modelOptions;

    /// <summary>Gets the chat options every call of this step starts from.</summary>
    public ChatOptions? ChatOptions { get; init; }

    /// <summary>
    /// Gets the chat options of a call to <paramref name="model"/>: this step's options with the model set, made once per
    /// model and shared by the calls, as Microsoft.Extensions.AI's clients and middleware clone options before changing them.
    /// </summary>
    public ChatOptions OptionsFor(string model) => Pipeline.ModelOptions.For(ref _modelOptions, ChatOptions!, model);

    /// <summary>Gets the step's version for the journal: a hash of its definition, computed on first use (see <see cref="Pipeline.StepVersion"/>).</summary>
    public string JournalVersion => field ??= Pipeline.StepVersion.Compute(this);

    public override string ToString() => QualifiedName;

    /// <summary>
    /// Gets this generic step's descriptor for one constructed method: the same step (id, name, loop count), with the
    /// return shape of its type arguments, which an open <c>Task&lt;T&gt;</c> cannot give at inspection.
    /// </summary>
    public StepDescriptor Close(MethodInfo constructed, ReturnShape shape) =>
        new(this, constructed, shape);

    private StepDescriptor(StepDescriptor definition, MethodInfo constructed, ReturnShape shape)
    {
        Id = definition.Id;
        Method = constructed;
        Attribute = definition.Attribute;
        Kind = definition.Kind;
        Shape = shape;
        Name = definition.Name;
        WorkflowType = definition.WorkflowType;
        Workflow = definition.Workflow;
        QualifiedName = definition.QualifiedName;
        MaxLoops = definition.MaxLoops;
        Budget = definition.Budget;
        ArgumentNames = definition.ArgumentNames;
        ArgumentIndices = definition.ArgumentIndices;
        CancellationTokenIndex = definition.CancellationTokenIndex;
        SystemPrompt = definition.SystemPrompt;
        Prompt = definition.Prompt;
        Output = definition.Output;
        ChatOptions = definition.ChatOptions;
        Description = definition.Description;
        StepTools = definition.StepTools;
        ExternalToolNames = definition.ExternalToolNames;
        Union = definition.Union;
        WorkflowStepNames = definition.WorkflowStepNames;
    }
}
