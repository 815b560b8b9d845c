using System.Collections.Concurrent;
using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using AgentSteps.StructuredOutput;
using Castle.DynamicProxy;
using Microsoft.Extensions.AI;

namespace AgentSteps.Inspection;

/// <summary>
/// Reads a workflow class once: checks that every step can work as written (naming the member and the fix when not)
/// and computes each step's <see cref="StepDescriptor"/>.
/// </summary>
internal static class WorkflowInspector
{
    private const BindingFlags AllMethods = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;

    private static readonly ConcurrentDictionary<Type, Lazy<WorkflowDescriptor>> s_cache = new();

    /// <summary>Gets the descriptor of <paramref name="type"/>, inspecting it on first use.</summary>
    /// <exception cref="WorkflowDefinitionException">The class cannot work as a workflow.</exception>
    public static WorkflowDescriptor Inspect(Type type)
    {
        // Built once per type even when threads race, so each step gets one id; failures are not cached, so each
        // Create reports them again with the same message.
        var lazy = s_cache.GetOrAdd(type, static t => new Lazy<WorkflowDescriptor>(() => Build(t)));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // Any failure, expected or not, is reported again by the next Create rather than cached for the process.
            s_cache.TryRemove(new KeyValuePair<Type, Lazy<WorkflowDescriptor>>(type, lazy));
            throw;
        }
    }

    private static WorkflowDescriptor Build(Type type)
    {
        var problems = new List<string>();
        CheckClass(type, problems);
        var steps = new List<StepDescriptor>();
        if (problems.Count == 0)
        {
            foreach (var method in type.GetMethods(AllMethods))
            {
                if (method.DeclaringType == typeof(object))
                {
                    continue;
                }

                var step = InspectMethod(type, method, problems);
                if (step is not null)
                {
                    steps.Add(step);
                }
            }

            if (problems.Count == 0 && steps.Count == 0)
            {
                problems.Add($"Workflow '{type.Name}' has no [Step] methods. Mark its virtual methods with [Step] and its LLM steps as abstract [Step] methods.");
            }

            if (problems.Count == 0)
            {
                ResolveTools(type, steps, problems);
            }
        }

        if (problems.Count > 0)
        {
            throw new WorkflowDefinitionException(type, problems);
        }

        return new WorkflowDescriptor(type, steps);
    }

    private static void CheckClass(Type type, List<string> problems)
    {
        if (!type.IsClass || type.IsInterface)
        {
            problems.Add($"Workflow '{type.Name}' is not a class. Write the workflow as an abstract or plain class with virtual [Step] methods.");
            return;
        }

        if (type.IsSealed)
        {
            problems.Add($"Workflow '{type.Name}' is sealed (or static), so AgentSteps cannot derive a proxy from it. Remove 'sealed'.");
        }

        if (type.ContainsGenericParameters)
        {
            problems.Add($"Workflow '{type.Name}' is an open generic type. Create it with its type arguments, such as {type.Name.Split('`')[0]}<string>.");
        }

        if (!ProxyUtil.IsAccessible(type))
        {
            problems.Add(type.IsNested && (type.IsNestedPrivate || type.IsNestedFamily || type.IsNestedFamANDAssem)
                ? $"Workflow '{type.Name}' is a private or protected nested class, which no proxy can derive from. Make it public, or internal with [assembly: InternalsVisibleTo(\"DynamicProxyGenAssembly2\")]."
                : $"Workflow '{type.Name}' is internal. Make it public, or add [assembly: InternalsVisibleTo(\"DynamicProxyGenAssembly2\")] to its assembly so that AgentSteps can derive a proxy from it.");
        }
    }

    private static StepDescriptor? InspectMethod(Type type, MethodInfo method, List<string> problems)
    {
        if (!method.IsDefined(typeof(StepAttribute), inherit: true) && method.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false))
        {
            // What the compiler writes (a record's abstract <Clone>$, its equality members) is not the user's to mark.
            return null;
        }

        var name = $"{StepNames.TypeName(type)}.{method.Name}";
        StepAttribute? attribute;
        PromptAttribute? prompt;
        try
        {
            attribute = method.GetCustomAttribute<StepAttribute>(inherit: true);
            prompt = method.GetCustomAttribute<PromptAttribute>(inherit: true);
        }
        catch (Exception e) when (e is CustomAttributeFormatException or ArgumentException or TargetInvocationException)
        {
            problems.Add(AttributeProblem(name, method, e));
            return null;
        }

        if (attribute is null)
        {
            if (method.IsAbstract)
            {
                problems.Add($"Method '{name}' is abstract but has no [Step] attribute, so nothing would implement it. Add [Step(Model = \"...\")] to make the model implement it, or give it a body.");
            }
            else if (prompt is not null)
            {
                problems.Add($"Method '{name}' has [Prompt] but no [Step] attribute. Add [Step(Model = \"...\")] and make it abstract, or remove [Prompt].");
            }

            return null;
        }

        int before = problems.Count;
        name = $"{StepNames.TypeName(type)}.{StepNames.StepName(type, method)}";
        if (method.IsStatic)
        {
            problems.Add($"Step '{name}' is static. Make it an instance method marked virtual (a code step) or abstract (an LLM step).");
            return null;
        }

        if (!method.IsVirtual || method.IsFinal)
        {
            problems.Add($"Step '{name}' must be virtual so that AgentSteps can intercept it. Mark it 'virtual' (a code step) or 'abstract' (an LLM step){(method.IsFinal && method.IsVirtual ? ", and do not seal it" : string.Empty)}.");
        }
        else if (!ProxyUtil.IsAccessible(method))
        {
            problems.Add($"Step '{name}' is internal, so the proxy cannot override it. Make it public or protected, or add [assembly: InternalsVisibleTo(\"DynamicProxyGenAssembly2\")].");
        }

        if (attribute.Model is not null && string.IsNullOrWhiteSpace(attribute.Model))
        {
            problems.Add($"Step '{name}' sets Model to an empty name. Name the model, such as Model = \"gpt-4o-mini\", or remove Model so that RuntimeOptions.DefaultModel applies.");
        }

        var shape = ReturnShape.For(method.ReturnType);
        if (shape is null)
        {
            problems.Add($"Step '{name}' returns {StepNames.TypeName(method.ReturnType)}, which AgentSteps does not support. Return T, void, Task, Task<T>, ValueTask, ValueTask<T> or IAsyncEnumerable<T>.");
        }
        else if (method.ReturnType == typeof(void) && method.IsDefined(typeof(AsyncStateMachineAttribute), inherit: false))
        {
            problems.Add($"Step '{name}' is 'async void', so nothing can await it: it would be recorded as finished at its first await, and its exceptions would escape the run. Return Task instead of void.");
        }

        var parameters = method.GetParameters();
        var argumentNames = new List<string>();
        var argumentIndices = new List<int>();
        int cancellationTokenIndex = -1;
        for (int i = 0; i < parameters.Length; i++)
        {
            var parameter = parameters[i];
            var parameterType = parameter.ParameterType;
            if (parameterType.IsByRef)
            {
                problems.Add($"Step '{name}' has the ref or out parameter '{parameter.Name}'. Pass it by value and return results instead.");
            }
            else if (parameterType.IsByRefLike || parameterType.IsPointer)
            {
                problems.Add($"Step '{name}' has the parameter '{parameter.Name}' of type {StepNames.TypeName(parameterType)}, which cannot be recorded or passed through the proxy " +
                             "(a ref struct such as Span<T>, or what 'params ReadOnlySpan<T>' declares, or a pointer). Take an array or IReadOnlyList<T> instead.");
            }
            else if (parameterType == typeof(CancellationToken?))
            {
                problems.Add($"Step '{name}' has the parameter '{parameter.Name}' of type CancellationToken?, which AgentSteps would send to the model as an argument. Take a CancellationToken instead ('CancellationToken {parameter.Name} = default' keeps it optional).");
            }
            else if (parameterType == typeof(CancellationToken))
            {
                if (cancellationTokenIndex >= 0)
                {
                    problems.Add($"Step '{name}' has two CancellationToken parameters ('{parameters[cancellationTokenIndex].Name}' and '{parameter.Name}'), but a step observes one. Combine them before the call (CancellationTokenSource.CreateLinkedTokenSource) and pass one.");
                }

                cancellationTokenIndex = i;
            }
            else
            {
                argumentNames.Add(parameter.Name ?? $"arg{i}");
                argumentIndices.Add(i);
            }
        }

        bool isLlm = method.IsAbstract;
        if (!isLlm)
        {
            if (attribute.Model is not null)
            {
                problems.Add($"Step '{name}' has a body but sets Model = \"{attribute.Model}\". Make it abstract so that the model implements it, or remove Model to keep it a code step.");
            }

            if (prompt is not null)
            {
                problems.Add($"Step '{name}' has a body but a [Prompt]. Make it abstract so that the model implements it, or remove [Prompt].");
            }

            if (attribute.Tools is not null)
            {
                problems.Add($"Step '{name}' has a body but sets Tools: only an LLM step offers tools to the model. Make it abstract with a Model so that the model calls the tools, or remove Tools and call the steps from its body.");
            }

            if (problems.Count > before || shape is null)
            {
                return null;
            }

            return new StepDescriptor(type, method, attribute, StepKind.Code, shape, argumentNames.ToArray(), argumentIndices.ToArray(), cancellationTokenIndex)
            {
                Description = method.GetCustomAttribute<DescriptionAttribute>(inherit: true)?.Description ?? XmlDocumentation.Summary(method),
            };
        }

        if (method.IsGenericMethodDefinition)
        {
            problems.Add($"LLM step '{name}' is generic, so it has no single output schema. Declare one LLM step per output type.");
        }

        if (shape is not null && shape.ResultType == typeof(void))
        {
            problems.Add($"LLM step '{name}' returns nothing. An LLM step returns the model's output: T, Task<T> or ValueTask<T>.");
        }

        var template = PromptTemplate.Create(prompt?.Template, argumentIndices.ToArray(), argumentNames.ToArray(), out var templateError);
        if (templateError is not null)
        {
            problems.Add($"LLM step '{name}': {templateError}.");
        }

        if (problems.Count > before || shape is null)
        {
            return null;
        }

        OutputContract? output = null;
        Tools.UnionOutput? union = null;
        if (shape.ItemType is { } itemType)
        {
            // A stream of text is the reply's text as it comes; a stream of items, the items of a JSON array as each completes.
            if (attribute.Tools is not null)
            {
                problems.Add($"LLM step '{name}' streams its output (IAsyncEnumerable<{StepNames.TypeName(itemType)}>) and sets Tools, which a stream cannot combine with. " +
                             "Return Task<T> to use tools, or remove Tools.");
                return null;
            }

            try
            {
                output = OutputContract.For(itemType == typeof(string) ? typeof(string) : typeof(List<>).MakeGenericType(itemType));
            }
            catch (OutputSchemaException e)
            {
                problems.Add($"LLM step '{name}' streams {StepNames.TypeName(itemType)} items, which cannot be a structured output: {e.Message}.");
                return null;
            }
        }
        else if (Tools.UnionOutput.IsUnion(shape.ResultType))
        {
            union = Tools.UnionOutput.TryCreate(shape.ResultType, out var unionProblem);
            if (union is null)
            {
                problems.Add($"LLM step '{name}' returns the union {StepNames.TypeName(shape.ResultType)}, but {unionProblem}.");
                return null;
            }
        }
        else
        {
            try
            {
                output = OutputContract.For(shape.ResultType);
            }
            catch (OutputSchemaException e)
            {
                problems.Add($"LLM step '{name}' returns {StepNames.TypeName(shape.ResultType)}, which cannot be a structured output: {e.Message}.");
                return null;
            }
        }

        // A union is answered through its output tools, so it asks for no response format.
        var options = new ChatOptions { ResponseFormat = output?.ResponseFormat };
        if (output?.ResponseFormat is not null)
        {
            // Microsoft.Extensions.AI.OpenAI sends "strict": true for the schema only when asked through this key.
            options.AdditionalProperties = new AdditionalPropertiesDictionary { ["strict"] = true };
        }

        if (!double.IsNaN(attribute.Temperature))
        {
            options.Temperature = (float)attribute.Temperature;
        }

        if (!double.IsNaN(attribute.TopP))
        {
            options.TopP = (float)attribute.TopP;
        }

        if (attribute.MaxOutputTokens > 0)
        {
            options.MaxOutputTokens = attribute.MaxOutputTokens;
        }

        var systemPrompt = method.GetCustomAttribute<DescriptionAttribute>(inherit: true)?.Description ?? XmlDocumentation.Summary(method);
        return new StepDescriptor(type, method, attribute, StepKind.Llm, shape, argumentNames.ToArray(), argumentIndices.ToArray(), cancellationTokenIndex)
        {
            SystemPrompt = systemPrompt,
            Description = systemPrompt,
            Prompt = template,
            Output = output,
            Union = union,
            ChatOptions = options,
        };
    }

    /// <summary>
    /// Resolves each LLM step's <see cref="StepAttribute.Tools"/>: a name of a step of the workflow becomes a step tool
    /// (made once per step, whichever LLM steps offer it); a name of a method that is not a step, an overloaded step or a
    /// step that cannot be a tool is a problem; any other name is left for <see cref="RuntimeOptions.Tools"/> at the first call.
    /// </summary>
    private static void ResolveTools(Type type, List<StepDescriptor> steps, List<string> problems)
    {
        var made = new Dictionary<StepDescriptor, Tools.StepTool?>();
        foreach (var step in steps)
        {
            if (step.Kind != StepKind.Llm)
            {
                continue;
            }

            var name = step.QualifiedName;
            var stepTools = new List<Tools.StepTool>();
            var external = new List<string>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var toolName in step.Attribute.Tools ?? [])
            {
                if (string.IsNullOrWhiteSpace(toolName))
                {
                    problems.Add($"LLM step '{name}' lists an empty name in Tools. Name each tool: a step of {StepNames.TypeName(type)} (nameof(Step)) or a tool in RuntimeOptions.Tools.");
                    continue;
                }

                if (!seen.Add(toolName))
                {
                    problems.Add($"LLM step '{name}' lists the tool '{toolName}' twice in Tools. List each tool once.");
                    continue;
                }

                var matches = steps.Where(s => string.Equals(s.Method.Name, toolName, StringComparison.Ordinal)).ToList();
                if (matches.Count > 1)
                {
                    problems.Add($"LLM step '{name}' offers the tool '{toolName}', but {StepNames.TypeName(type)} has {matches.Count} steps of that name " +
                                 $"({string.Join(", ", matches.Select(m => m.Name))}), and a tool needs one. Rename the overloads, or offer a step with a name of its own.");
                    continue;
                }

                if (matches.Count == 1)
                {
                    var match = matches[0];
                    if (ReferenceEquals(match, step) && step.MaxLoops == 0)
                    {
                        // Recursion through the model is allowed, as in code, but only with a bound: nothing else stops it.
                        problems.Add($"LLM step '{name}' offers itself as a tool but sets no MaxLoops, so the model could recurse without end. " +
                                     "Set MaxLoops on its [Step] attribute to bound the recursion, or remove it from its Tools.");
                        continue;
                    }

                    if (!made.TryGetValue(match, out var tool))
                    {
                        tool = Tools.StepTool.TryCreate(match, match.Description, out var problem);
                        made[match] = tool;
                        if (tool is null)
                        {
                            problems.Add($"LLM step '{name}' offers the step '{match.QualifiedName}' as a tool, but {problem}. Change its parameters, or remove it from Tools.");
                        }
                    }

                    if (tool is not null)
                    {
                        stepTools.Add(tool);
                    }

                    continue;
                }

                if (type.GetMethods(AllMethods).Any(m => string.Equals(m.Name, toolName, StringComparison.Ordinal)))
                {
                    problems.Add($"LLM step '{name}' offers '{toolName}' as a tool, but {StepNames.TypeName(type)}.{toolName} is not a step. " +
                                 "Mark it [Step] (and virtual) so that its calls run through the runtime, or remove it from Tools.");
                    continue;
                }

                external.Add(toolName);
            }

            if (step.Union is { } union)
            {
                foreach (var tool in stepTools)
                {
                    if (union.Find(tool.Name) is { } variant)
                    {
                        problems.Add($"LLM step '{name}' returns the union {StepNames.TypeName(union.BaseType)}, whose variant {variant.Type.Name} is answered through a tool named '{variant.Name}', " +
                                     "but it also offers a step of that name. Rename the step, or give the variant another [JsonDerivedType] discriminator.");
                    }
                }
            }

            step.StepTools = stepTools.Count > 0 ? [.. stepTools] : null;
            step.ExternalToolNames = external.Count > 0 ? [.. external] : null;
            step.WorkflowStepNames = external.Count > 0 ? steps.Select(s => s.Method.Name).Distinct(StringComparer.Ordinal).ToArray() : null;
        }

        if (problems.Count == 0)
        {
            FindUnboundedDelegation(steps, problems);
        }
    }

    /// <summary>
    /// Finds LLM steps that offer each other as tools in a cycle (A offers B, B offers A) with no MaxLoops on any step of
    /// the cycle: nothing would stop a model that keeps delegating, since each step makes only one call.
    /// </summary>
    private static void FindUnboundedDelegation(List<StepDescriptor> steps, List<string> problems)
    {
        var reported = new HashSet<StepDescriptor>();
        foreach (var start in steps)
        {
            if (start.StepTools is null || start.MaxLoops > 0 || reported.Contains(start))
            {
                continue;
            }

            // Depth-first over LLM tool edges through steps without MaxLoops, looking for a way back to the start.
            var path = new List<StepDescriptor> { start };
            var onPath = new HashSet<StepDescriptor> { start };
            if (FindCycle(start, start, path, onPath) is { } cycle)
            {
                foreach (var member in cycle)
                {
                    reported.Add(member);
                }

                problems.Add($"LLM steps {string.Join(" -> ", cycle.Append(start).Select(s => s.QualifiedName))} offer each other as tools, " +
                             "but none of them sets MaxLoops, so a model that keeps delegating would never stop. Set MaxLoops on one of them.");
            }
        }

        static List<StepDescriptor>? FindCycle(StepDescriptor start, StepDescriptor current, List<StepDescriptor> path, HashSet<StepDescriptor> onPath)
        {
            foreach (var tool in current.StepTools ?? [])
            {
                var next = tool.Step;
                if (ReferenceEquals(next, start))
                {
                    return [.. path];
                }

                if (next.Kind != StepKind.Llm || next.MaxLoops > 0 || next.StepTools is null || !onPath.Add(next))
                {
                    continue;
                }

                path.Add(next);
                if (FindCycle(start, next, path, onPath) is { } found)
                {
                    return found;
                }

                path.RemoveAt(path.Count - 1);
            }

            return null;
        }
    }

    /// <summary>
    /// Explains an attribute that failed to construct: reflection reports only "Exception has been thrown by the target
    /// of an invocation", so each [Step] and [Prompt] on the method is built again from its metadata to find the property
    /// and value that the attribute rejected.
    /// </summary>
    private static string AttributeProblem(string name, MethodInfo method, Exception failure)
    {
        foreach (var current in WithOverridden(method))
        {
            foreach (var data in current.GetCustomAttributesData())
            {
                if (data.AttributeType != typeof(StepAttribute) && data.AttributeType != typeof(PromptAttribute))
                {
                    continue;
                }

                var attributeName = data.AttributeType.Name[..^"Attribute".Length];
                object instance;
                try
                {
                    instance = data.Constructor.Invoke(data.ConstructorArguments.Select(a => a.Value).ToArray());
                }
                catch (TargetInvocationException e) when (e.InnerException is not null)
                {
                    return $"Step '{name}' has an invalid [{attributeName}] attribute: {FirstLine(e.InnerException.Message)} Fix the value given to [{attributeName}(...)].";
                }

                foreach (var argument in data.NamedArguments)
                {
                    try
                    {
                        if (argument.MemberInfo is PropertyInfo property)
                        {
                            property.SetValue(instance, argument.TypedValue.Value);
                        }
                    }
                    catch (TargetInvocationException e) when (e.InnerException is not null)
                    {
                        var value = string.Format(CultureInfo.InvariantCulture, "{0}", argument.TypedValue.Value);
                        return $"Step '{name}' sets {argument.MemberName} = {value} on its [{attributeName}] attribute, which is invalid: {FirstLine(e.InnerException.Message)} " +
                               $"Fix {argument.MemberName} (see its documentation for the allowed values), or remove it to keep the default.";
                    }
                }
            }
        }

        var inner = failure;
        while (inner.InnerException is not null && inner is TargetInvocationException or CustomAttributeFormatException)
        {
            inner = inner.InnerException;
        }

        return $"Step '{name}' has an invalid attribute value: {FirstLine(inner.Message)} Fix the value on its [Step] or [Prompt] attribute.";
    }

    /// <summary>The method and the methods it overrides, most derived first: where an inherited attribute may sit.</summary>
    private static IEnumerable<MethodInfo> WithOverridden(MethodInfo method)
    {
        yield return method;
        if (!method.IsVirtual)
        {
            yield break;
        }

        var slot = method.GetBaseDefinition().MethodHandle;
        for (var type = method.DeclaringType!.BaseType; type is not null; type = type.BaseType)
        {
            foreach (var candidate in type.GetMethods(AllMethods | BindingFlags.DeclaredOnly))
            {
                if (candidate.GetBaseDefinition().MethodHandle.Equals(slot))
                {
                    yield return candidate;
                }
            }
        }
    }

    private static string FirstLine(string message)
    {
        // An ArgumentException's message ends with "(Parameter 'value')", the setter's parameter: the property is named already.
        int end = message.IndexOfAny(['\r', '\n']);
        var line = (end < 0 ? message : message[..end]).Trim();
        int parameter = line.LastIndexOf(" (Parameter '", StringComparison.Ordinal);
        line = parameter < 0 ? line : line[..parameter];
        return line.EndsWith('.') ? line : line + ".";
    }
}
