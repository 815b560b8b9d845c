using System.Collections.Concurrent;
using System.Reflection;
using AgentSteps.Graph;
using AgentSteps.Internal;
using Mono.Cecil;

namespace AgentSteps;

/// <summary>
/// The static graph of a workflow, read from the compiled IL of its steps (no source needed): which steps each step
/// calls, whether some path skips a call, which step's result feeds which call, and cycles; and, from their
/// <see cref="StepAttribute.Tools"/>, which steps and external tools each LLM step's model may call. Draw it with
/// <see cref="ToDot"/>, <see cref="ToMermaid"/> or <see cref="Render(string, GraphImageFormat)"/>.
/// </summary>
public sealed class StepGraph
{
    private const BindingFlags AllInstanceMethods = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

    private static readonly ConcurrentDictionary<(Type, string), Lazy<StepGraph>> s_cache = new();

    private StepGraph(Type workflowType, StepNode root, IReadOnlyList<StepNode> nodes)
    {
        WorkflowType = workflowType;
        Root = root;
        Nodes = nodes;
    }

    /// <summary>Gets the workflow class the graph was read from.</summary>
    public Type WorkflowType { get; }

    /// <summary>Gets the step the graph starts from.</summary>
    public StepNode Root { get; }

    /// <summary>Gets every step reachable from <see cref="Root"/> by calls in code or by tool calls, the root first, in the order they were reached.</summary>
    public IReadOnlyList<StepNode> Nodes { get; }

    /// <summary>Gets the graph of <typeparamref name="TWorkflow"/> rooted at one of its steps. Graphs are cached per workflow and root.</summary>
    /// <typeparam name="TWorkflow">The workflow class.</typeparam>
    /// <param name="rootStepName">
    /// The name of the step to start from, such as <c>nameof(RecipeWorkflow.CreateRecipe)</c>; for an overloaded step, its
    /// signature with C# type names, such as <c>Go(string, int)</c>.
    /// </param>
    /// <returns>The graph.</returns>
    /// <exception cref="ArgumentException">The type is not a workflow, has no step of that name, or has several (overloads: the message lists their signatures).</exception>
    /// <exception cref="WorkflowDefinitionException">The workflow class cannot work as written.</exception>
    public static StepGraph For<TWorkflow>(string rootStepName)
        where TWorkflow : class => For(typeof(TWorkflow), rootStepName);

    /// <summary>Gets the graph of a workflow rooted at one of its steps. Graphs are cached per workflow and root.</summary>
    /// <param name="workflowType">The workflow class.</param>
    /// <param name="rootStepName">The name of the step to start from; for an overloaded step, its signature, such as <c>Go(string, int)</c>.</param>
    /// <returns>The graph.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The type is not a workflow, has no step of that name, or has several (overloads: the message lists their signatures).</exception>
    /// <exception cref="WorkflowDefinitionException">The workflow class cannot work as written.</exception>
    /// <exception cref="InvalidOperationException">The workflow's assembly cannot be read from disk (a dynamic assembly).</exception>
    public static StepGraph For(Type workflowType, string rootStepName)
    {
        Throw.IfNull(workflowType);
        Throw.IfNullOrWhitespace(rootStepName);
        var lazy = s_cache.GetOrAdd((workflowType, rootStepName), static key => new Lazy<StepGraph>(() => Build(key.Item1, key.Item2)));
        try
        {
            return lazy.Value;
        }
        catch
        {
            s_cache.TryRemove((workflowType, rootStepName), out _);
            throw;
        }
    }

    /// <summary>
    /// Writes the graph as Graphviz DOT: a cluster per step that calls others, boxes for steps, dashed edges for conditional
    /// calls, back edges for cycles, LLM steps with their model, blue dashed "tool" edges for tool calls and component
    /// shapes for external tools.
    /// </summary>
    /// <returns>The DOT text.</returns>
    public string ToDot() => GraphWriter.ToDot(this);

    /// <summary>Writes the graph as a Mermaid flowchart, which GitHub renders in Markdown; tool calls are dotted "tool" arrows, external tools subroutine shapes.</summary>
    /// <returns>The Mermaid text.</returns>
    public string ToMermaid() => GraphWriter.ToMermaid(this);

    /// <summary>Renders the graph to an image file with Graphviz's <c>dot</c>, which must be on PATH.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="format">The image format.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">Graphviz is not installed, or <c>dot</c> failed.</exception>
    public void Render(string path, GraphImageFormat format) =>
        GraphvizRenderer.Render(ToDot(), Throw.IfNullOrWhitespace(path), format, Environment.GetEnvironmentVariable("PATH"));

    private static StepGraph Build(Type workflowType, string rootStepName)
    {
        var steps = workflowType.GetMethods(AllInstanceMethods)
            .Where(m => m.IsDefined(typeof(StepAttribute), inherit: true))
            .ToList();
        if (steps.Count == 0)
        {
            throw new ArgumentException(
                $"Type '{Inspection.StepNames.TypeName(workflowType)}' is not a workflow: it has no [Step] methods. Pass a workflow class, such as one with virtual [Step] methods.",
                nameof(workflowType));
        }

        Inspection.WorkflowInspector.Inspect(workflowType);
        var rootMethod = FindRoot(workflowType, steps, rootStepName);

        var nodes = new Dictionary<MethodInfo, StepNode>(MethodHandleComparer.Instance);
        var order = new List<StepNode>();
        var contexts = new Dictionary<StepNode, Type>();
        var queue = new Queue<StepNode>();

        StepNode NodeFor(MethodInfo method, Type context)
        {
            if (!nodes.TryGetValue(method, out var node))
            {
                // A step of this workflow (its base classes' included) is named for this workflow; another workflow's for its own.
                var owner = method.DeclaringType!.IsAssignableFrom(context) ? context : method.DeclaringType;
                node = new StepNode(method, method.GetCustomAttribute<StepAttribute>(inherit: true)!, Inspection.StepNames.StepName(owner, method), Inspection.StepNames.TypeName(owner));
                nodes[method] = node;
                order.Add(node);
                contexts[node] = owner;
                queue.Enqueue(node);
            }

            return node;
        }

        var root = NodeFor(Canonical(rootMethod), workflowType);
        while (queue.Count > 0)
        {
            var node = queue.Dequeue();
            if (node.ToolNames.Count > 0)
            {
                AddToolCalls(node, contexts[node], NodeFor);
            }

            if (node.Kind != StepKind.Code || CecilModules.Definition(node.Method) is not { } definition)
            {
                if (node.Kind == StepKind.Code && node.Method.Module.Assembly.IsDynamic)
                {
                    throw new InvalidOperationException($"Step '{node.QualifiedName}' is in a dynamic assembly, whose IL cannot be read.");
                }

                continue;
            }

            var context = contexts[node];
            var analyzer = new MethodAnalyzer(callee => StepOf(callee, context));
            foreach (var call in analyzer.Analyze(definition))
            {
                var target = NodeFor(call.Step, context);
                var inputs = call.Inputs.Select(i => NodeFor(i, context)).ToList();
                node.AddChild(new StepEdge(node, target, call.IsConditional, inputs, call.Order));
            }
        }

        MarkBackEdges(root, new HashSet<StepNode>(), new HashSet<StepNode>());
        return new StepGraph(workflowType, root, order);
    }

    /// <summary>
    /// Adds an LLM step's tool calls: an edge to each step of its workflow that a tool name names (by method name, or by
    /// signature for an overload), and an external tool for a name that names none. Checking the names is
    /// <c>Steps.Create</c>'s and the runtime's work; the graph draws what is written.
    /// </summary>
    private static void AddToolCalls(StepNode node, Type context, Func<MethodInfo, Type, StepNode> nodeFor)
    {
        var steps = context.GetMethods(AllInstanceMethods).Where(m => m.IsDefined(typeof(StepAttribute), inherit: true)).ToList();
        foreach (var name in node.ToolNames)
        {
            var named = steps.Where(m => m.Name == name || Inspection.StepNames.StepName(context, m) == name).ToList();
            if (named.Count == 0)
            {
                node.AddExternalTool(name);
                continue;
            }

            foreach (var method in named)
            {
                var target = nodeFor(Canonical(method), context);
                if (!node.Children.Any(e => ReferenceEquals(e.Target, target)))
                {
                    node.AddChild(new StepEdge(node, target, isConditional: true, [], node.Children.Count, isToolCall: true));
                }
            }
        }
    }

    /// <summary>Finds the root step by its name, or by its signature (<c>Go(string, int)</c>) when the name is overloaded.</summary>
    private static MethodInfo FindRoot(Type workflowType, List<MethodInfo> steps, string rootStepName)
    {
        var named = steps.Where(m => m.Name == rootStepName).ToList();
        if (named.Count == 1)
        {
            return named[0];
        }

        var workflowName = Inspection.StepNames.TypeName(workflowType);
        if (named.Count > 1)
        {
            var overloads = string.Join(", ", named.Select(m => Inspection.StepNames.StepName(workflowType, m)).Order(StringComparer.Ordinal));
            throw new ArgumentException(
                $"Workflow '{workflowName}' has {named.Count} steps named '{rootStepName}': {overloads}. Pass the one to start from by its signature, such as \"{Inspection.StepNames.StepName(workflowType, named[^1])}\".",
                nameof(rootStepName));
        }

        var wanted = WithoutSpaces(rootStepName);
        var bySignature = steps.FirstOrDefault(m => WithoutSpaces(Inspection.StepNames.StepName(workflowType, m)) == wanted) ??
            steps.FirstOrDefault(m => WithoutSpaces(Inspection.StepNames.Signature(m)) == wanted);
        if (bySignature is not null)
        {
            return bySignature;
        }

        var names = string.Join(", ", steps.Select(m => Inspection.StepNames.StepName(workflowType, m)).Distinct().Order(StringComparer.Ordinal));
        var message = workflowType.GetMethods(AllInstanceMethods).Any(m => m.Name == rootStepName)
            ? $"Method '{workflowName}.{rootStepName}' is not a step. Mark it [Step], or start the graph from one of the steps: {names}."
            : $"Workflow '{workflowName}' has no step named '{rootStepName}'. Its steps: {names}.";
        throw new ArgumentException(message, nameof(rootStepName));
    }

    private static string WithoutSpaces(string text) => string.Concat(text.Where(c => !char.IsWhiteSpace(c)));

    private static void MarkBackEdges(StepNode node, HashSet<StepNode> onPath, HashSet<StepNode> done)
    {
        onPath.Add(node);
        foreach (var edge in node.Children)
        {
            if (onPath.Contains(edge.Target))
            {
                edge.IsBackEdge = true;
            }
            else if (!done.Contains(edge.Target))
            {
                MarkBackEdges(edge.Target, onPath, done);
            }
        }

        onPath.Remove(node);
        done.Add(node);
    }

    private static MethodInfo? StepOf(MethodReference callee, Type context)
    {
        // Calls into the BCL are never steps; skip resolving them.
        if (callee.DeclaringType.Scope is AssemblyNameReference scope &&
            (scope.Name.StartsWith("System", StringComparison.Ordinal) || scope.Name.StartsWith("Microsoft", StringComparison.Ordinal) ||
             scope.Name is "netstandard" or "mscorlib"))
        {
            return null;
        }

        MethodDefinition? definition;
        try
        {
            definition = callee.Resolve();
        }
        catch (AssemblyResolutionException)
        {
            return null;
        }

        if (definition is null || CecilModules.Reflect(definition) is not { } method)
        {
            return null;
        }

        if (method.IsGenericMethodDefinition is false && method.IsGenericMethod)
        {
            method = method.GetGenericMethodDefinition();
        }

        if (!method.IsDefined(typeof(StepAttribute), inherit: true))
        {
            return null;
        }

        // A call to a virtual step declared in a base class runs the workflow's own override.
        if (method.IsVirtual && method.DeclaringType!.IsAssignableFrom(context) && method.DeclaringType != context)
        {
            var baseDefinition = method.GetBaseDefinition().MethodHandle;
            var own = context.GetMethods(AllInstanceMethods).FirstOrDefault(m => m.GetBaseDefinition().MethodHandle.Equals(baseDefinition));
            if (own is not null)
            {
                method = own;
            }
        }

        return Canonical(method);
    }

    /// <summary>The method as its declaring type reflects it, so that one step is one node however it was reached.</summary>
    private static MethodInfo Canonical(MethodInfo method) =>
        method.ReflectedType == method.DeclaringType ? method : (MethodInfo)method.Module.ResolveMethod(method.MetadataToken)!;
}
