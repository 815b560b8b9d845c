using System.Collections.Concurrent;
using System.ComponentModel;
using System.Reflection;
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
        catch (WorkflowDefinitionException)
        {
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
        var name = $"{type.Name}.{method.Name}";
        StepAttribute? attribute;
        PromptAttribute? prompt;
        try
        {
            attribute = method.GetCustomAttribute<StepAttribute>(inherit: true);
            prompt = method.GetCustomAttribute<PromptAttribute>(inherit: true);
        }
        catch (Exception e) when (e is CustomAttributeFormatException or ArgumentException or TargetInvocationException)
        {
            var reason = (e.InnerException ?? e).Message;
            problems.Add($"Step '{name}' has an invalid attribute value: {reason} Fix the value on its [Step] or [Prompt] attribute.");
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

        var shape = ReturnShape.For(method.ReturnType);
        if (shape is null)
        {
            problems.Add($"Step '{name}' returns {method.ReturnType.Name}, which AgentSteps does not support. Return T, void, Task, Task<T>, ValueTask or ValueTask<T>.");
        }

        var parameters = method.GetParameters();
        var argumentNames = new List<string>();
        var argumentIndices = new List<int>();
        int cancellationTokenIndex = -1;
        for (int i = 0; i < parameters.Length; i++)
        {
            var parameter = parameters[i];
            if (parameter.ParameterType.IsByRef)
            {
                problems.Add($"Step '{name}' has the ref or out parameter '{parameter.Name}'. Pass it by value and return results instead.");
            }
            else if (parameter.ParameterType == typeof(CancellationToken))
            {
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

            if (problems.Count > before || shape is null)
            {
                return null;
            }

            return new StepDescriptor(method, attribute, StepKind.Code, shape, argumentNames.ToArray(), argumentIndices.ToArray(), cancellationTokenIndex);
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

        OutputContract output;
        try
        {
            output = OutputContract.For(shape.ResultType);
        }
        catch (OutputSchemaException e)
        {
            problems.Add($"LLM step '{name}' returns {shape.ResultType.Name}, which cannot be a structured output: {e.Message}.");
            return null;
        }

        var options = new ChatOptions { ResponseFormat = output.ResponseFormat };
        if (output.ResponseFormat is not null)
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

        return new StepDescriptor(method, attribute, StepKind.Llm, shape, argumentNames.ToArray(), argumentIndices.ToArray(), cancellationTokenIndex)
        {
            SystemPrompt = method.GetCustomAttribute<DescriptionAttribute>(inherit: true)?.Description ?? XmlDocumentation.Summary(method),
            Prompt = template,
            Output = output,
            ChatOptions = options,
        };
    }
}
