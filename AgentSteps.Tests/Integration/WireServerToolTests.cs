using System.Text.Json;
using Newtonsoft.Json.Linq;

namespace AgentSteps.Tests.Integration;

/// <summary>
/// Proves that <see cref="OpenAIWireServer"/> speaks OpenAI's tool-calling protocol the way the real
/// Microsoft.Extensions.AI.OpenAI client reads and writes it, so that runtime tests built on the server test the runtime,
/// not the double. The client is called directly, without AgentSteps' runtime.
/// </summary>
public class WireServerToolTests
{
    private const string ConvertSchema = """
        {
          "type": "object",
          "properties": {
            "amount": { "type": "number" },
            "from": { "type": "string" },
            "to": { "type": "string" }
          },
          "required": ["amount", "from", "to"],
          "additionalProperties": false
        }
        """;

    private OpenAIWireServer _server = null!;
    private IChatClient _client = null!;

    [SetUp]
    public async Task StartServer()
    {
        _server = await OpenAIWireServer.StartAsync();
        _client = RuntimeOptions.CreateOpenAIClient(null, _server.BaseUrl);
    }

    [TearDown]
    public async Task StopServer()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Test]
    public async Task ReplyToolCalls_ReadByTheOpenAIClient_IsFunctionCallContentWithIdNameAndArguments()
    {
        _server.ReplyToolCalls(
            ("call_1", "convert_units", """{"amount":42,"from":"km","to":"mi"}"""),
            ("call_2", "fail_always", "{}"));

        var response = await _client.GetResponseAsync("Convert 42 km to miles.", Options(ConvertUnits()));

        var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToArray();
        Assert.That(calls.Select(c => (c.CallId, c.Name)), Is.EqualTo(new[] { ("call_1", "convert_units"), ("call_2", "fail_always") }));
        var arguments = calls[0].Arguments!;
        Assert.That(arguments.Keys, Is.EquivalentTo(new[] { "amount", "from", "to" }));
        // The client parses the arguments string into JsonElements.
        Assert.That(((JsonElement)arguments["amount"]!).GetDouble(), Is.EqualTo(42));
        Assert.That(((JsonElement)arguments["from"]!).GetString(), Is.EqualTo("km"));
        Assert.That(((JsonElement)arguments["to"]!).GetString(), Is.EqualTo("mi"));
        Assert.That(calls[1].Arguments, Is.Empty);
        Assert.That(response.FinishReason, Is.EqualTo(ChatFinishReason.ToolCalls));
        Assert.That(response.Messages.Single().Role, Is.EqualTo(ChatRole.Assistant));
        Assert.That(response.Usage!.InputTokenCount, Is.EqualTo(11));
        Assert.That(response.Usage.OutputTokenCount, Is.EqualTo(7));
    }

    [Test]
    public async Task FunctionResult_OnTheFollowUpRequest_ArrivesAsAToolMessageWithItsCallId()
    {
        _server.ReplyToolCalls(("call_1", "convert_units", """{"amount":42,"from":"km","to":"mi"}""")).ReplyContent("42 km is about 26.1 miles.");
        List<ChatMessage> history = [new(ChatRole.User, "Convert 42 km to miles.")];
        var options = Options(ConvertUnits());

        var first = await _client.GetResponseAsync(history, options);
        history.AddRange(first.Messages);
        history.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent("call_1", "42 km = 26.098 mi")]));
        var second = await _client.GetResponseAsync(history, options);

        Assert.That(second.Text, Is.EqualTo("42 km is about 26.1 miles."));
        var followUp = _server.Requests[1];
        Assert.That(followUp.Messages.Select(m => (string?)m["role"]), Is.EqualTo(new[] { "user", "assistant", "tool" }));
        var echoed = followUp.AssistantToolCalls.Single();
        Assert.That((echoed.Id, echoed.Name), Is.EqualTo(("call_1", "convert_units")));
        Assert.That(JToken.DeepEquals(JObject.Parse(echoed.ArgumentsJson!), JObject.Parse("""{"amount":42,"from":"km","to":"mi"}""")), Is.True, echoed.ArgumentsJson);
        Assert.That(followUp.ToolMessages, Is.EqualTo(new[] { new OpenAIWireServer.ToolMessage("call_1", "42 km = 26.098 mi") }));
    }

    // A result object is serialized by Microsoft.Extensions.AI's default options (AIJsonUtilities): camelCase names, so
    // a tool result on the wire does not read like AgentSteps' own Newtonsoft output unless the runtime serializes it first.
    [Test]
    public async Task FunctionResult_ThatIsAnObject_ArrivesAsCamelCaseJson()
    {
        _server.ReplyContent("ok");
        List<ChatMessage> history =
        [
            new(ChatRole.User, "Convert."),
            new(ChatRole.Assistant, [new FunctionCallContent("call_7", "convert_units", new Dictionary<string, object?> { ["amount"] = 1 })]),
            new(ChatRole.Tool, [new FunctionResultContent("call_7", new { Amount = 0.621, Unit = "mi" })]),
        ];

        await _client.GetResponseAsync(history, Options(ConvertUnits()));

        var tool = _server.Requests.Single().ToolMessages.Single();
        Assert.That(tool.ToolCallId, Is.EqualTo("call_7"));
        Assert.That(JToken.DeepEquals(JToken.Parse(tool.Content!), JObject.Parse("""{"amount":0.621,"unit":"mi"}""")), Is.True, tool.Content);
    }

    [Test]
    public async Task Tools_OnTheWire_CarryNameDescriptionAndParameters()
    {
        _server.ReplyContent("ok");

        await _client.GetResponseAsync("x", Options(ConvertUnits(), AIFunctionFactory.CreateDeclaration("fail_always", "Always fails.", JsonDocument.Parse("""{"type":"object","properties":{}}""").RootElement)));

        var request = _server.Requests.Single();
        Assert.That(request.ToolNames, Is.EqualTo(new[] { "convert_units", "fail_always" }));
        Assert.That(request.Tools.Select(t => (string?)t["type"]), Has.All.EqualTo("function"));
        var function = request.Function("convert_units");
        Assert.That((string?)function["description"], Is.EqualTo("Converts an amount between units."));
        Assert.That(JToken.DeepEquals(function["parameters"], JObject.Parse(ConvertSchema)), Is.True, function["parameters"]!.ToString());
        Assert.That(function["strict"], Is.Null, "no strict key, no strict flag");
        Assert.Throws<InvalidOperationException>(() => request.Function("missing"));
    }

    [Test]
    public async Task NoTools_OnTheWire_SendsNeitherToolsNorToolChoice()
    {
        _server.ReplyContent("ok");

        await _client.GetResponseAsync("x", new ChatOptions { ModelId = "gpt-4o-mini" });

        var request = _server.Requests.Single();
        Assert.That(request.Tools, Is.Empty);
        Assert.That(request.ToolChoice, Is.Null);
        Assert.That(request.ToolMessages, Is.Empty);
    }

    [TestCase("required")]
    [TestCase("auto")]
    [TestCase("none")]
    public async Task ToolMode_OnTheWire_IsTheToolChoiceString(string expected)
    {
        _server.ReplyContent("ok");
        var options = Options(ConvertUnits());
        options.ToolMode = expected switch
        {
            "required" => ChatToolMode.RequireAny,
            "auto" => ChatToolMode.Auto,
            _ => ChatToolMode.None,
        };

        await _client.GetResponseAsync("x", options);

        Assert.That(_server.Requests.Single().ToolChoice, Is.EqualTo(expected));
        Assert.That(_server.Requests.Single().Body["tool_choice"]!.Type, Is.EqualTo(JTokenType.String));
    }

    [Test]
    public async Task ToolModeUnset_WithTools_IsSentAsAuto()
    {
        _server.ReplyContent("ok");

        await _client.GetResponseAsync("x", Options(ConvertUnits()));

        Assert.That(_server.Requests.Single().ToolChoice, Is.EqualTo("auto"));
    }

    [Test]
    public async Task ToolModeRequireSpecific_OnTheWire_NamesTheFunction()
    {
        _server.ReplyContent("ok");
        var options = Options(ConvertUnits());
        options.ToolMode = ChatToolMode.RequireSpecific("convert_units");

        await _client.GetResponseAsync("x", options);

        Assert.That(_server.Requests.Single().ToolChoice, Is.EqualTo("""{"type":"function","function":{"name":"convert_units"}}"""));
    }

    // The finding this class exists to pin down: Microsoft.Extensions.AI.OpenAI 10.11.0 sends "strict": true for a
    // function tool when the tool's AdditionalProperties hold "strict" = true (the same key as for the response format;
    // AdditionalPropertiesDictionary ignores case, so "Strict" works too). "strictJsonSchema" does nothing here.
    [TestCase("strict", true, true)]
    [TestCase("Strict", true, true)]
    [TestCase("strict", false, false)]
    [TestCase("strictJsonSchema", true, null)]
    public async Task StrictKeyOnTheTool_OnTheWire_SetsTheFunctionsStrictFlag(string key, bool value, bool? expected)
    {
        _server.ReplyContent("ok");

        await _client.GetResponseAsync("x", Options(new WithAdditionalProperties(ConvertUnits(), new() { [key] = value })));

        Assert.That((bool?)_server.Requests.Single().Function("convert_units")["strict"], Is.EqualTo(expected));
    }

    // The runtime already sets ChatOptions.AdditionalProperties["strict"] = true for a step's response format. This pins
    // what that option does to the tools of the same request (see the assertion), which decides whether a tool with a
    // schema strict mode cannot express (many MCP tools) can sit in a step with a strict structured output.
    [Test]
    public async Task StrictKeyOnTheChatOptions_OnTheWire_AppliesToEveryToolWithoutItsOwnKey()
    {
        _server.ReplyContent("ok");
        var options = Options(ConvertUnits(), new WithAdditionalProperties(ConvertUnits("loose"), new() { ["strict"] = false }));
        options.AdditionalProperties = new AdditionalPropertiesDictionary { ["strict"] = true };

        await _client.GetResponseAsync("x", options);

        var request = _server.Requests.Single();
        Assert.That((bool?)request.Function("convert_units")["strict"], Is.True, "the request-wide key reaches a tool without its own");
        Assert.That((bool?)request.Function("loose")["strict"], Is.False, "a tool's own key wins over the request-wide key");
    }

    private static AIFunctionDeclaration ConvertUnits(string name = "convert_units") =>
        AIFunctionFactory.CreateDeclaration(name, "Converts an amount between units.", JsonDocument.Parse(ConvertSchema).RootElement);

    private static ChatOptions Options(params AITool[] tools) => new() { ModelId = "gpt-4o-mini", Tools = tools };

    // AIFunctionFactory.CreateDeclaration takes no additional properties (and DelegatingAIFunctionDeclaration is
    // internal in 10.11.0), so a declaration that carries them is written out, as the runtime will have to.
    private sealed class WithAdditionalProperties(AIFunctionDeclaration inner, AdditionalPropertiesDictionary properties) : AIFunctionDeclaration
    {
        public override string Name => inner.Name;

        public override string Description => inner.Description;

        public override JsonElement JsonSchema => inner.JsonSchema;

        public override JsonElement? ReturnJsonSchema => inner.ReturnJsonSchema;

        public override IReadOnlyDictionary<string, object?> AdditionalProperties => properties;
    }
}
