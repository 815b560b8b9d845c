using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentSteps.Examples.Snippets;

/// <summary>The code shown in docs/configuration.md, compiled so that it stays true.</summary>
public static class ConfigurationSnippets
{
    public static void FromEnvironment()
    {
        using var runtime = new Runtime();   // OPENAI_API_KEY, OPENAI_BASE_URL, AGENTSTEPS_MODEL
    }

    public static void OneClient()
    {
        using var loggerFactory = LoggerFactory.Create(logging => logging.AddConsole());
        IChatClient chatClient = RuntimeOptions.CreateOpenAIClient(apiKey: null, baseUrl: "http://localhost:11434/v1")
            .AsBuilder()
            .UseLogging(loggerFactory)              // any Microsoft.Extensions.AI pipeline
            .Build();
        using var runtime = new Runtime(chatClient);   // every model through one client
    }

    public static void FullForm()
    {
        IChatClient openAI = RuntimeOptions.CreateOpenAIClient(Environment.GetEnvironmentVariable("OPENAI_API_KEY"), baseUrl: null);
        IChatClient ollama = RuntimeOptions.CreateOpenAIClient(apiKey: null, baseUrl: "http://localhost:11434/v1");
        var options = new RuntimeOptions
        {
            ChatClient = openAI,                         // answers every model without its own entry
            DefaultModel = "gpt-4o-mini",                // for [Step] LLM methods without Model
            Log = Console.WriteLine,                     // one line per model call, reply and retry
            Logger = NullLogger.Instance,                // or any ILogger: structured events
        };
        options.ModelAliases["gpt-4o"] = "llama3.2";     // run a step written for gpt-4o on a local model...
        options.ModelClients["llama3.2"] = ollama;       // ...served by this client
        using var runtime = new Runtime(options);
    }

    public static void Offline()
    {
        using var runtime = new Runtime(new SampleChatClient());   // deterministic, schema-valid replies; no network
    }
}
