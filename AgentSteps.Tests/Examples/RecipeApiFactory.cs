using AgentSteps.Examples.Web;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentSteps.Tests;

/// <summary>Hosts the example's web app in memory, with the model client the test chooses, keeping every log entry.</summary>
internal sealed class RecipeApiFactory(IChatClient client) : WebApplicationFactory<RecipeApi>
{
    public LogSink Logs { get; } = new();

    protected override IHostBuilder CreateHostBuilder() =>
        Host.CreateDefaultBuilder()
            .ConfigureLogging(logging => logging.AddProvider(Logs))
            .ConfigureWebHostDefaults(web => web
                .ConfigureServices(services =>
                {
                    services.AddChatClient(client);
                    RecipeApi.ConfigureServices(services);
                })
                .Configure(RecipeApi.Configure));
}
