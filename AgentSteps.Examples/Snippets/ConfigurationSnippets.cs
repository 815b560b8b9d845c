using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentSteps.Examples.Snippets;

/// <summary>The code shown in docs/configuration.md, compiled so that it stays true.</summary>
public static class ConfigurationSnippets
{
    public static Runtime FromEnvironment() =>
        new Runtime();                                   // OPENAI_API_KEY, OPENAI_BASE_URL, AGENTSTEPS_MODEL

    public static Runtime OneClient(IChatClient chatClient) =>
        new Runtime(chatClient);                         // every model through one Microsoft.Extensions.AI client

    public static Runtime FullForm(IChatClient openAI, IChatClient ollama)
    {
        var options = new RuntimeOptions
        {
            ChatClient = openAI,                         // answers every model without its own entry
            DefaultModel = "gpt-4o-mini",                // for [Step] LLM methods without Model
            Log = Console.WriteLine,                     // one line per model call, reply and retry
            Logger = NullLogger.Instance,                // or any ILogger: structured events
        };
        options.ModelAliases["gpt-4o"] = "llama3.2";     // run a step written for gpt-4o on a local model...
        options.ModelClients["llama3.2"] = ollama;       // ...served by this client
        return new Runtime(options);
    }

    public static Runtime Offline() =>
        new Runtime(new SampleChatClient());             // deterministic, schema-valid replies; no network
}
