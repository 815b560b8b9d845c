using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace AgentSteps.Tests.Integration;

/// <summary>
/// Proves that <see cref="McpTestServer"/> is a real MCP server that real MCP clients list and call, and pins what the
/// ModelContextProtocol 2.4.0 client hands to a caller of <see cref="AIFunction.InvokeAsync"/> (as the runtime will be):
/// a successful single-text result as Microsoft.Extensions.AI's <see cref="TextContent"/>; a tool that throws as a
/// <see cref="JsonElement"/> holding the whole <see cref="CallToolResult"/> with <c>"isError": true</c>, not as an
/// exception. Only protocol failures (such as an unknown tool) throw, as <see cref="ModelContextProtocol.McpException"/>.
/// </summary>
public class McpServerFixtureTests
{
    private McpTestServer _server = null!;

    [SetUp]
    public async Task StartServer() => _server = await McpTestServer.StartAsync();

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public async Task ListToolsAsync_ListsBothToolsWithNamesDescriptionsAndInputSchemas()
    {
        var tools = await _server.ListToolsAsync();

        Assert.That(tools.Select(t => t.Name), Is.EquivalentTo(new[] { McpTestServer.ConvertUnitsTool, McpTestServer.FailAlwaysTool }));
        Assert.That(tools, Has.All.InstanceOf<AIFunction>());
        var convert = tools.Single(t => t.Name == McpTestServer.ConvertUnitsTool);
        Assert.That(convert.Description, Does.StartWith("Converts an amount between units"));
        var schema = convert.JsonSchema;
        Assert.That(schema.TryGetProperty("additionalProperties", out _), Is.False, "the SDK leaves the schema open; the OpenAI client closes it");
        Assert.That(schema.GetProperty("type").GetString(), Is.EqualTo("object"));
        var properties = schema.GetProperty("properties");
        Assert.That(properties.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "amount", "from", "to" }));
        Assert.That(properties.GetProperty("amount").GetProperty("type").GetString(), Is.EqualTo("number"));
        Assert.That(properties.GetProperty("from").GetProperty("type").GetString(), Is.EqualTo("string"));
        Assert.That(properties.GetProperty("from").GetProperty("description").GetString(), Is.EqualTo("The unit of the amount."));
        Assert.That(schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()), Is.EquivalentTo(new[] { "amount", "from", "to" }));
        var fail = tools.Single(t => t.Name == McpTestServer.FailAlwaysTool);
        Assert.That(fail.Description, Is.EqualTo("Orders groceries. Always fails, for tests."));
        Assert.That(fail.JsonSchema.GetProperty("properties").EnumerateObject(), Is.Empty);
        Assert.That(_server.Calls, Is.Empty, "listing calls no tool");
    }

    [Test]
    public async Task InvokeAsync_ReachesTheServerAndReturnsItsTextAsTextContent()
    {
        var convert = (await _server.ListToolsAsync()).Single(t => t.Name == McpTestServer.ConvertUnitsTool);

        var result = await convert.InvokeAsync(new AIFunctionArguments { ["amount"] = 42, ["from"] = "km", ["to"] = "mi" });

        Assert.That(_server.Calls, Is.EqualTo(new[] { McpTestServer.ConvertUnitsTool }));
        Assert.That(result, Is.InstanceOf<TextContent>());
        Assert.That(((TextContent)result!).Text, Is.EqualTo("42 km = 26.098 mi"));
    }

    [Test]
    public async Task CallAsync_ReturnsTheTypedCallToolResult()
    {
        var convert = (await _server.ListToolsAsync()).Single(t => t.Name == McpTestServer.ConvertUnitsTool);

        var result = await convert.CallAsync(new Dictionary<string, object?> { ["amount"] = 2, ["from"] = "cup", ["to"] = "ml" });

        Assert.That(result.IsError, Is.Not.True);
        Assert.That(result.Content.OfType<TextContentBlock>().Single().Text, Is.EqualTo("2 cup = 473.176 ml"));
        Assert.That(_server.CallCount(McpTestServer.ConvertUnitsTool), Is.EqualTo(1));
    }

    [Test]
    public async Task InvokeAsync_ToolThatThrows_ReturnsTheErrorResultAsJsonWithoutTheExceptionsMessage()
    {
        var fail = (await _server.ListToolsAsync()).Single(t => t.Name == McpTestServer.FailAlwaysTool);

        var result = await fail.InvokeAsync(new AIFunctionArguments());

        Assert.That(_server.CallCount(McpTestServer.FailAlwaysTool), Is.EqualTo(1), "the call reached the tool");
        Assert.That(result, Is.InstanceOf<JsonElement>());
        var json = (JsonElement)result!;
        Assert.That(IsError(json), Is.True);
        // The SDK hides the message of any exception but McpException from clients.
        Assert.That(Text(json), Is.EqualTo("An error occurred invoking 'fail_always'."));
        Assert.That(Text(json), Does.Not.Contain(McpTestServer.FailureMessage));
    }

    [Test]
    public async Task InvokeAsync_ToolThatThrowsMcpException_ReturnsTheErrorResultAsJsonWithItsMessage()
    {
        var convert = (await _server.ListToolsAsync()).Single(t => t.Name == McpTestServer.ConvertUnitsTool);

        var result = await convert.InvokeAsync(new AIFunctionArguments { ["amount"] = 1, ["from"] = "kg", ["to"] = "km" });

        Assert.That(result, Is.InstanceOf<JsonElement>());
        var json = (JsonElement)result!;
        Assert.That(IsError(json), Is.True);
        Assert.That(Text(json), Is.EqualTo("An error occurred invoking 'convert_units': Cannot convert 'kg' to 'km'."));
        Assert.That(_server.CallCount(McpTestServer.ConvertUnitsTool), Is.EqualTo(1));
    }

    [Test]
    public async Task TwoClients_BothReachTheServerWhichCountsEveryCall()
    {
        var first = (await _server.ListToolsAsync()).Single(t => t.Name == McpTestServer.ConvertUnitsTool);
        await using var second = await _server.ConnectAsync();

        await first.InvokeAsync(new AIFunctionArguments { ["amount"] = 1, ["from"] = "mi", ["to"] = "km" });
        var viaSecond = await second.CallToolAsync(McpTestServer.ConvertUnitsTool, new Dictionary<string, object?> { ["amount"] = 1, ["from"] = "lb", ["to"] = "kg" });

        Assert.That(viaSecond.Content.OfType<TextContentBlock>().Single().Text, Is.EqualTo("1 lb = 0.454 kg"));
        Assert.That(_server.CallCount(McpTestServer.ConvertUnitsTool), Is.EqualTo(2));
    }

    [Test]
    public async Task CallToolAsync_UnknownTool_ThrowsMcpExceptionAndCallsNothing()
    {
        await using var client = await _server.ConnectAsync();

        var e = Assert.CatchAsync<ModelContextProtocol.McpException>(async () => await client.CallToolAsync("missing_tool"));

        Assert.That(e!.Message, Does.Contain("missing_tool"));
        Assert.That(_server.Calls, Is.Empty);
    }

    [Test]
    public async Task WithName_RenamesTheToolForTheModelButCallsTheServersName()
    {
        var renamed = (await _server.ListToolsAsync()).Single(t => t.Name == McpTestServer.ConvertUnitsTool).WithName("units");

        var result = await renamed.InvokeAsync(new AIFunctionArguments { ["amount"] = 1, ["from"] = "l", ["to"] = "ml" });

        Assert.That(renamed.Name, Is.EqualTo("units"));
        Assert.That(((TextContent)result!).Text, Is.EqualTo("1 l = 1000 ml"));
        Assert.That(_server.Calls, Is.EqualTo(new[] { McpTestServer.ConvertUnitsTool }));
    }

    private static string Text(JsonElement callToolResult) =>
        string.Concat(callToolResult.GetProperty("content").EnumerateArray().Where(c => c.GetProperty("type").GetString() == "text").Select(c => c.GetProperty("text").GetString()));

    private static bool IsError(JsonElement callToolResult) =>
        callToolResult.TryGetProperty("isError", out var isError) && isError.GetBoolean();
}
