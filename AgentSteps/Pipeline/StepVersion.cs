using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AgentSteps.Inspection;
using AgentSteps.StructuredOutput;
using Newtonsoft.Json;

namespace AgentSteps.Pipeline;

/// <summary>The hashes a journaled run keeps per step: the step's version and the call's argument hash.</summary>
internal static class StepVersion
{
    /// <summary>
    /// Hashes the step's definition: kind, result type, description and system prompt, prompt template, output schema,
    /// model options and the IL bytes of its body. A change to any of them makes a journaled step run again.
    /// </summary>
    public static string Compute(StepDescriptor step)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string label, string? value)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(label + "=" + (value is null ? "\0" : value.Length.ToString(CultureInfo.InvariantCulture) + ":" + value) + "\n"));
        }

        Add("kind", step.Kind.ToString());
        Add("result", step.Shape.ResultType.FullName);
        Add("description", step.Description);
        Add("system", step.SystemPrompt);
        Add("prompt", step.Prompt?.Fingerprint);
        Add("schema", step.Output?.SchemaJson);
        Add("model", step.Attribute.Model);
        if (step.ChatOptions is { } options)
        {
            Add("temperature", options.Temperature?.ToString(CultureInfo.InvariantCulture));
            Add("topP", options.TopP?.ToString(CultureInfo.InvariantCulture));
            Add("maxOutputTokens", options.MaxOutputTokens?.ToString(CultureInfo.InvariantCulture));
        }

        Add("tools", step.Attribute.Tools is { } tools ? string.Join(",", tools) : null);
        var il = BodyIL(step.Method);
        Add("il", il is null ? null : Convert.ToHexString(il));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// Gets the IL of a method's body: for an async method or an iterator, the stub's IL and that of its state machine's
    /// <c>MoveNext</c>, where the code the compiler moved out of the method is. Lambdas and local functions the body
    /// calls are compiled to methods of their own and are not included.
    /// </summary>
    internal static byte[]? BodyIL(System.Reflection.MethodInfo method)
    {
        var stub = method.GetMethodBody()?.GetILAsByteArray();
        var machine = (method.GetCustomAttributes(typeof(System.Runtime.CompilerServices.StateMachineAttribute), inherit: false)
            .FirstOrDefault() as System.Runtime.CompilerServices.StateMachineAttribute)?.StateMachineType;
        var moveNext = machine?.GetMethod("MoveNext", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public)
            ?.GetMethodBody()?.GetILAsByteArray();
        return moveNext is null ? stub : [.. stub ?? [], .. moveNext];
    }

    /// <summary>Serializes the call's arguments (a <see cref="CancellationToken"/> excluded) as a JSON object keyed by parameter name.</summary>
    public static string ArgumentsJson(StepDescriptor step, IReadOnlyList<object?> arguments)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        using (var json = new JsonTextWriter(writer))
        {
            json.WriteStartObject();
            for (int i = 0; i < step.ArgumentNames.Length; i++)
            {
                json.WritePropertyName(step.ArgumentNames[i]);
                AgentStepsJson.Serializer.Serialize(json, arguments[step.ArgumentIndices[i]]);
            }

            json.WriteEndObject();
        }

        return writer.ToString();
    }

    /// <summary>Hashes the call's arguments: SHA-256 of <see cref="ArgumentsJson"/>, as lowercase hex.</summary>
    public static string HashArguments(string argumentsJson) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(argumentsJson)));
}
