using AgentSteps.StructuredOutput;
using Newtonsoft.Json.Linq;

namespace AgentSteps.Tests;

public class SampleChatClientTests
{
    public enum Size
    {
        Small,
        Large,
    }

    public record Item(string Name, Size Size, int? Count, DateTimeOffset When, Guid Id);

    public record Basket([property: System.ComponentModel.DataAnnotations.Range(3, 10)] int Total, List<Item> Items, Item? Favourite, bool Paid);

    public record Tree(string Label, List<Tree> Children);

    public record Times(DateTime When, DateOnly Day, TimeOnly Time, TimeSpan Span, Uri Link, char Letter);

    public class Annotated
    {
        [System.ComponentModel.DataAnnotations.MinLength(1)]
        [System.ComponentModel.DataAnnotations.MaxLength(3)]
        public List<string> Tags { get; set; } = [];

        [System.ComponentModel.DataAnnotations.RegularExpression("^[a-z]+$")]
        public string Slug { get; set; } = string.Empty;

        [System.ComponentModel.DataAnnotations.EmailAddress]
        [Description("Where to write")]
        public string Email { get; set; } = string.Empty;
    }

    private static async Task<string> SampleFor(Type type)
    {
        var contract = OutputContract.For(type);
        var response = await new SampleChatClient().GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], new ChatOptions { ResponseFormat = contract.ResponseFormat });
        return response.Text;
    }

    [Test]
    public async Task Sample_ForAnObjectSchema_ParsesAndValidatesAsThatType()
    {
        var text = await SampleFor(typeof(Basket));

        Assert.That(OutputContract.For(typeof(Basket)).TryParse(text, out var result, out var errors), Is.True, string.Join("; ", errors));
        var basket = (Basket)result!;
        Assert.That(basket.Total, Is.EqualTo(3), "the smallest value the schema allows");
        Assert.That(basket.Items, Has.Count.EqualTo(2));
        Assert.That(basket.Items[0].Name, Is.EqualTo("Sample Name"));
        Assert.That(basket.Items[0].Size, Is.EqualTo(Size.Small));
        Assert.That(basket.Favourite, Is.Not.Null, "the first call of a request fills nullables");
        Assert.That(basket.Paid, Is.False, "the first call of a request answers false");
    }

    [Test]
    public async Task Sample_ForDatesTimesUrisAndChars_ParsesUnderTheStrictReader()
    {
        var text = await SampleFor(typeof(Times));

        Assert.That(OutputContract.For(typeof(Times)).TryParse(text, out var result, out var errors), Is.True, string.Join("; ", errors));
        Assert.That(((Times)result!).Time, Is.EqualTo(new TimeOnly(12, 0)));
    }

    [Test]
    public async Task Sample_IsDeterministic()
    {
        var first = await SampleFor(typeof(Basket));
        var second = await SampleFor(typeof(Basket));
        Assert.That(second, Is.EqualTo(first));
    }

    [Test]
    public async Task Sample_ForARecursiveType_Terminates()
    {
        var text = await SampleFor(typeof(Tree));
        Assert.That(OutputContract.For(typeof(Tree)).TryParse(text, out _, out var errors), Is.True, string.Join("; ", errors));
    }

    [Test]
    public async Task Sample_ForWrappedPrimitives_Parses()
    {
        foreach (var type in new[] { typeof(int), typeof(List<string>), typeof(Size), typeof(double?) })
        {
            var text = await SampleFor(type);
            Assert.That(OutputContract.For(type).TryParse(text, out _, out var errors), Is.True, $"{type.Name}: {text}: {string.Join("; ", errors)}");
        }
    }

    [Test]
    public async Task Sample_PlainText_EchoesTheLastMessage()
    {
        var response = await new SampleChatClient().GetResponseAsync([new ChatMessage(ChatRole.User, "tell me")]);
        Assert.That(response.Text, Is.EqualTo("Sample reply to: tell me"));
        Assert.That(response.ModelId, Is.EqualTo("sample"));
    }

    [Test]
    public async Task Response_SaysTheSampleAnsweredAndReportsNoTokens()
    {
        var response = await new SampleChatClient().GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], new ChatOptions { ModelId = "gpt-4o-mini" });

        Assert.That(response.ModelId, Is.EqualTo("sample (for gpt-4o-mini)"));
        Assert.That(response.Usage, Is.Null, "words are not tokens, and no tokens were used");
    }

    private static async Task<Basket> NextBasket(SampleChatClient client, string system = "Fill the basket.")
    {
        var contract = OutputContract.For(typeof(Basket));
        var response = await client.GetResponseAsync(
            [new ChatMessage(ChatRole.System, system), new ChatMessage(ChatRole.User, "hi")],
            new ChatOptions { ResponseFormat = contract.ResponseFormat });
        Assert.That(contract.TryParse(response.Text, out var result, out var errors), Is.True, string.Join("; ", errors));
        return (Basket)result!;
    }

    [Test]
    public async Task RepeatedRequestInOneRun_CyclesBooleansAndNullablesThroughEveryCombination()
    {
        var client = new SampleChatClient();
        using var runtime = new Runtime(client);

        var answers = new List<(bool Paid, bool HasFavourite, bool HasCount)>();
        for (int i = 0; i < 5; i++)
        {
            var basket = await NextBasket(client);
            answers.Add((basket.Paid, basket.Favourite is not null, basket.Items[0].Count is not null));
        }

        Assert.That(answers, Is.EqualTo(new[] { (false, true, true), (true, false, false), (false, false, false), (true, true, true), (false, true, true) }));
        Assert.That((await NextBasket(client, "Another request.")).Paid, Is.False, "each request shape counts on its own");
    }

    [Test]
    public async Task EachRun_SeesTheSameAnswers()
    {
        var client = new SampleChatClient();
        var paid = new List<bool>();
        for (int run = 0; run < 2; run++)
        {
            using var runtime = new Runtime(client);
            paid.Add((await NextBasket(client)).Paid);
            paid.Add((await NextBasket(client)).Paid);
        }

        Assert.That(paid, Is.EqualTo(new[] { false, true, false, true }));
    }

    [Test]
    public async Task OutsideAnyRun_CountsPerClient()
    {
        var client = new SampleChatClient();

        Assert.That((await NextBasket(client)).Paid, Is.False);
        Assert.That((await NextBasket(client)).Paid, Is.True);
        Assert.That((await NextBasket(new SampleChatClient())).Paid, Is.False);
    }

    [Test]
    public async Task LoopWaitingForANullableToBecomeNull_EndsOnTheSampleModel()
    {
        using var runtime = new Runtime(new SampleChatClient());

        var review = await Steps.Create<AgentSteps.Examples.Snippets.ReviewWorkflow>().ReviewUntilCalmAsync("kettle");

        Assert.That(review.Warning, Is.Null);
        Assert.That(runtime.ExecutedSteps.Select(s => s.Name), Is.EqualTo(new[] { "ReviewAsync", "ReviewAsync", "ReviewUntilCalmAsync", "ReviewUntilCalmAsync" }));
    }

    [Test]
    public async Task Streaming_YieldsTheWholeReply()
    {
        var text = new System.Text.StringBuilder();
        await foreach (var update in new SampleChatClient().GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "stream")]))
        {
            text.Append(update.Text);
        }

        Assert.That(text.ToString(), Is.EqualTo("Sample reply to: stream"));

        var scripted = new ScriptedChatClient("scripted");
        var updates = new List<string>();
        await foreach (var update in scripted.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "x")]))
        {
            updates.Add(update.Text);
        }

        Assert.That(string.Concat(updates), Is.EqualTo("scripted"));
    }

    [Test]
    public void ScriptedClient_OutOfReplies_ThrowsSayingSo()
    {
        var client = new ScriptedChatClient("one");
        client.GetResponseAsync([new ChatMessage(ChatRole.User, "a")]);
        var e = Assert.ThrowsAsync<InvalidOperationException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "b")]));
        Assert.That(e!.Message, Does.Contain("request 2 but has no scripted reply left"));
        Assert.That(client.Requests.Select(r => r.LastMessage), Is.EqualTo(new[] { "a", "b" }));
    }

    [Test]
    public void StrictSchema_NullableObjectReference_BecomesAnyOfWithNull()
    {
        var schema = JObject.Parse(OutputContract.For(typeof(Basket)).SchemaJson!);
        var favourite = schema["properties"]!["Favourite"]!;
        Assert.That(favourite["anyOf"]!.Select(o => (string?)o["type"] ?? (string?)o["$ref"]), Is.EquivalentTo(new[] { "null", "#/$defs/Item" }));
        var item = schema["$defs"]!["Item"]!;
        Assert.That((bool?)item["additionalProperties"], Is.False);
        Assert.That(item["required"]!.Select(t => (string?)t), Is.EquivalentTo(new[] { "Name", "Size", "Count", "When", "Id" }));
        Assert.That((string?)item["properties"]!["When"]!["format"], Is.EqualTo("date-time"));
        Assert.That((string?)item["properties"]!["Id"]!["format"], Is.EqualTo("uuid"));
        Assert.That(item["properties"]!["Count"]!["type"]!.Select(t => (string?)t), Is.EquivalentTo(new[] { "integer", "null" }));
        Assert.That(schema.ToString(), Does.Not.Contain("x-enumNames").And.Not.Contain("\"definitions\"").And.Not.Contain("$schema").And.Not.Contain("oneOf"));
    }

    [Test]
    public void StrictSchema_DataAnnotations_AreCarriedWhereStrictModeAllows()
    {
        var properties = JObject.Parse(OutputContract.For(typeof(Annotated)).SchemaJson!)["properties"]!;
        Assert.That((int?)properties["Tags"]!["minItems"], Is.EqualTo(1));
        Assert.That((int?)properties["Tags"]!["maxItems"], Is.EqualTo(3));
        Assert.That((string?)properties["Slug"]!["pattern"], Is.EqualTo("^[a-z]+$"));
        Assert.That((string?)properties["Email"]!["format"], Is.EqualTo("email"));
        Assert.That((string?)properties["Email"]!["description"], Is.EqualTo("Where to write"));
    }
}
