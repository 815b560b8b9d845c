using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentSteps.Examples.Web;

/// <summary>Runs the recipe web app: <c>dotnet run --project AgentSteps.Examples -- serve [url]</c>.</summary>
public static class ServeCommand
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    public static int Run(string? url, TextWriter output)
    {
        var client = RuntimeOptions.FromEnvironment().ChatClient;
        if (client is null)
        {
            client = new SampleChatClient();
            output.WriteLine($"No model configured: using the offline sample model. Set {RuntimeOptions.ApiKeyVariable} (or {RuntimeOptions.BaseUrlVariable}) to use a real one.");
        }

        using var host = Host.CreateDefaultBuilder()
            .ConfigureWebHostDefaults(web => web
                .UseUrls(url ?? DefaultUrl)
                .ConfigureServices(services =>
                {
                    services.AddChatClient(client).UseLogging();
                    RecipeApi.ConfigureServices(services);
                })
                .Configure(RecipeApi.Configure))
            .Build();
        host.Start();
        foreach (var address in host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
        {
            output.WriteLine(
                $"Listening on {address}: open {address}/ to watch a recipe stream; POST {address}/recipes {{\"query\": \"chicken parmesan\"}} " +
                $"(or {address}/recipes/stream for server-sent events), GET {address}/recipes/graph. Ctrl+C stops.");
        }

        host.WaitForShutdown();
        return 0;
    }
}
