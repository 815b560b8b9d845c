using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace AgentSteps.Tests.TestDoubles;

/// <summary>
/// A real MCP server (the ModelContextProtocol SDK's own, over Streamable HTTP on 127.0.0.1, random port) exposing
/// <c>convert_units</c>, which answers deterministically, and <c>fail_always</c>, which throws. It counts every call that
/// reaches a tool, so a test can prove the server was really called, and connects real MCP clients to itself.
/// </summary>
public sealed class McpTestServer : IAsyncDisposable
{
    /// <summary>The name of the tool that converts units.</summary>
    public const string ConvertUnitsTool = "convert_units";

    /// <summary>The name of the tool that always throws.</summary>
    public const string FailAlwaysTool = "fail_always";

    /// <summary>The message of the exception <c>fail_always</c> throws (the server does not send it to clients).</summary>
    public const string FailureMessage = "The grocery service is down.";

    // Units by dimension, each with its size in the dimension's base unit (metre, gram, millilitre).
    private static readonly Dictionary<string, (string Dimension, double Size)> Units = new(StringComparer.OrdinalIgnoreCase)
    {
        ["m"] = ("length", 1),
        ["km"] = ("length", 1000),
        ["mi"] = ("length", 1609.344),
        ["g"] = ("mass", 1),
        ["kg"] = ("mass", 1000),
        ["lb"] = ("mass", 453.59237),
        ["oz"] = ("mass", 28.349523125),
        ["ml"] = ("volume", 1),
        ["l"] = ("volume", 1000),
        ["cup"] = ("volume", 236.5882365),
    };

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _calls = new();
    private readonly ConcurrentQueue<IAsyncDisposable> _owned = new();

    private McpTestServer(WebApplication app) => _app = app;

    /// <summary>Gets the MCP endpoint (Streamable HTTP).</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Gets the names of the tools called so far, in the order the calls reached them.</summary>
    public IReadOnlyList<string> Calls => _calls.ToArray();

    /// <summary>Starts a server on 127.0.0.1 with a port the system picks.</summary>
    public static async Task<McpTestServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));

        // The tools are registered before the server object exists (it wraps the built app): they capture this local.
        McpTestServer? server = null;
        builder.Services
            .AddMcpServer(options => options.ServerInfo = new Implementation { Name = "agentsteps-tests", Version = "1.0.0" })
            .WithHttpTransport()
            .WithTools(
            [
                McpServerTool.Create(
                    [Description("Converts an amount between units of the same kind: length (m, km, mi), mass (g, kg, lb, oz) or volume (ml, l, cup).")]
                    ([Description("The amount to convert.")] double amount, [Description("The unit of the amount.")] string from, [Description("The unit to convert to.")] string to) =>
                        server!.ConvertUnits(amount, from, to),
                    new McpServerToolCreateOptions { Name = ConvertUnitsTool }),
                McpServerTool.Create(
                    [Description("Orders groceries. Always fails, for tests.")]
                    () => server!.FailAlways(),
                    new McpServerToolCreateOptions { Name = FailAlwaysTool }),
            ]);
        var app = builder.Build();
        server = new McpTestServer(app);
        app.MapMcp("/mcp");
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Endpoint = new Uri(address.TrimEnd('/') + "/mcp");
        return server;
    }

    /// <summary>Gets how many calls reached the tool named <paramref name="toolName"/>.</summary>
    public int CallCount(string toolName) => _calls.Count(name => name == toolName);

    /// <summary>
    /// Connects a new MCP client (Streamable HTTP) to this server. The server disposes it, and its transport, when it is
    /// disposed itself; disposing the client earlier is allowed.
    /// </summary>
    public async Task<McpClient> ConnectAsync(CancellationToken cancellationToken = default)
    {
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = Endpoint,
            TransportMode = HttpTransportMode.StreamableHttp,
            Name = "agentsteps-tests",
        });
        _owned.Enqueue(transport);
        var client = await McpClient.CreateAsync(transport, cancellationToken: cancellationToken);
        _owned.Enqueue(client);
        return client;
    }

    /// <summary>
    /// Connects a new MCP client and lists the server's tools: <see cref="AIFunction"/>s ready for
    /// <c>RuntimeOptions.Tools</c>, whose calls go to this server until it is disposed.
    /// </summary>
    public async Task<IList<McpClientTool>> ListToolsAsync(CancellationToken cancellationToken = default)
    {
        var client = await ConnectAsync(cancellationToken);
        return await client.ListToolsAsync(cancellationToken: cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        // Clients first (newest first: a client before its transport), so that no session holds the server's shutdown.
        foreach (var owned in _owned.Reverse())
        {
            await owned.DisposeAsync();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private string ConvertUnits(double amount, string from, string to)
    {
        _calls.Enqueue(ConvertUnitsTool);
        if (!Units.TryGetValue(from, out var source) || !Units.TryGetValue(to, out var target) || source.Dimension != target.Dimension)
        {
            // An McpException's message is the one message the SDK sends to the client as the tool's error.
            throw new McpException($"Cannot convert '{from}' to '{to}'.");
        }

        var converted = Math.Round(amount * source.Size / target.Size, 3);
        return string.Create(CultureInfo.InvariantCulture, $"{amount} {from} = {converted} {to}");
    }

    private string FailAlways()
    {
        _calls.Enqueue(FailAlwaysTool);
        throw new InvalidOperationException(FailureMessage);
    }
}
