using Newtonsoft.Json.Linq;

namespace AgentSteps.Tests.Integration;

/// <summary>
/// Puts the two test servers together without AgentSteps' runtime: tools listed from <see cref="McpTestServer"/> are
/// offered to the real OpenAI client talking to <see cref="OpenAIWireServer"/>, the scripted tool calls are invoked on
/// the MCP server, and their results go back on the wire. This pins what a runtime test will see for MCP tools.
/// </summary>
public class McpToolsOverTheWireTests
{
    private McpTestServer _mcp = null!;
    private OpenAIWireServer _wire = null!;
    private IChatClient _client = null!;

    [SetUp]
    public async Task StartServers()
    {
        _mcp = await McpTestServer.StartAsync();
        _wire = await OpenAIWireServer.StartAsync();
        _client = RuntimeOptions.CreateOpenAIClient(null, _wire.BaseUrl);
    }

    [TearDown]
    public async Task StopServers()
    {
        _client.Dispose();
        await _wire.DisposeAsync();
        await _mcp.DisposeAsync();
    }

    [Test]
    public async Task McpTools_OnTheWire_CarryTheServersNamesDescriptionsAndSchemas()
    {
        var tools = await _mcp.ListToolsAsync();
        _wire.ReplyContent("ok");

        await _client.GetResponseAsync("x", new ChatOptions { ModelId = "gpt-4o-mini", Tools = [.. tools] });

        var request = _wire.Requests.Single();
        Assert.That(request.ToolNames, Is.EquivalentTo(new[] { McpTestServer.ConvertUnitsTool, McpTestServer.FailAlwaysTool }));
        var function = request.Function(McpTestServer.ConvertUnitsTool);
        Assert.That((string?)function["description"], Does.StartWith("Converts an amount between units"));
        Assert.That(((JObject)function["parameters"]!["properties"]!).Properties().Select(p => p.Name), Is.EqualTo(new[] { "amount", "from", "to" }));
        Assert.That(((JObject)function["parameters"]!["properties"]!["from"]!).Value<string>("description"), Is.EqualTo("The unit of the amount."));
        // The OpenAI client closes the schema itself ("additionalProperties": false); "strict" it sends only when asked
        // (see WireServerToolTests for the key, and for ChatOptions' "strict" reaching every tool without its own).
        Assert.That((bool?)function["parameters"]!["additionalProperties"], Is.False);
        Assert.That(function["strict"], Is.Null);
    }

    [Test]
    public async Task FunctionInvocation_CallsTheMcpServerAndSendsItsResultsBackAsToolMessages()
    {
        var tools = await _mcp.ListToolsAsync();
        _wire.ReplyToolCalls(
                ("call_a", McpTestServer.ConvertUnitsTool, """{"amount":42,"from":"km","to":"mi"}"""),
                ("call_b", McpTestServer.FailAlwaysTool, "{}"))
            .ReplyContent("42 km is 26.098 mi; the order failed.");
        using var invoking = _client.AsBuilder().UseFunctionInvocation().Build();

        var response = await invoking.GetResponseAsync("Convert 42 km and order food.", new ChatOptions { ModelId = "gpt-4o-mini", Tools = [.. tools] });

        Assert.That(response.Text, Is.EqualTo("42 km is 26.098 mi; the order failed."));
        Assert.That(_mcp.Calls, Is.EquivalentTo(new[] { McpTestServer.ConvertUnitsTool, McpTestServer.FailAlwaysTool }), "both calls reached the MCP server");
        var toolMessages = _wire.Requests[1].ToolMessages;
        Assert.That(toolMessages.Select(m => m.ToolCallId), Is.EqualTo(new[] { "call_a", "call_b" }));
        // What FunctionInvokingChatClient does with McpClientTool results as they are: a successful text result is a
        // TextContent, which the OpenAI client serializes as an AIContent ("$type" included), not as its text; an error
        // result is the CallToolResult's JSON, "isError" included. A runtime that wants the model to see plain text must
        // unwrap TextContent itself.
        var text = JObject.Parse(toolMessages[0].Content!);
        Assert.That(((string?)text["$type"], (string?)text["text"]), Is.EqualTo(("text", "42 km = 26.098 mi")));
        var error = JObject.Parse(toolMessages[1].Content!);
        Assert.That((bool?)error["isError"], Is.True);
        Assert.That((string?)error["content"]![0]!["text"], Is.EqualTo("An error occurred invoking 'fail_always'."));
    }
}
