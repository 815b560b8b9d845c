using System.Text.Json;
using AgentSteps.Tools;

namespace AgentSteps.Tests.Tools;

public class SimpleSchemaCheckTests
{
    private const string Schema = """
        {"type":"object","properties":{"amount":{"type":"number","description":"How much"},"unit":{"type":"string","enum":["cup","dl"]},
         "count":{"type":"integer"},"note":{"type":["string","null"]}},"required":["amount","unit"],"additionalProperties":false}
        """;

    private static Dictionary<string, object?> Arguments(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, object?>>(json, AIJsonUtilities.DefaultOptions)!;

    [TestCase("""{"amount":1.5,"unit":"cup"}""", true)]
    [TestCase("""{"amount":1,"unit":"dl","count":3,"note":null}""", true)]
    [TestCase("""{"amount":"1","unit":"cup"}""", false)]
    [TestCase("""{"amount":1,"unit":"litre"}""", false)]
    [TestCase("""{"amount":1}""", false)]
    [TestCase("""{"amount":1,"unit":"cup","count":2.5}""", false)]
    [TestCase("""{"amount":1,"unit":"cup","extra":true}""", false)]
    [TestCase("""{"amount":[1],"unit":"cup"}""", false)]
    public void Fits_OnlyArgumentsThatCertainlyFit(string json, bool fits)
    {
        var check = SimpleSchemaCheck.TryCreate(JsonDocument.Parse(Schema).RootElement)!;
        Assert.That(check.Fits(Arguments(json)), Is.EqualTo(fits));
    }

    [TestCase("""{"type":"object","properties":{"a":{"type":"string","pattern":"^x"}}}""")]
    [TestCase("""{"type":"object","properties":{"a":{"type":"array","items":{"type":"string"}}}}""")]
    [TestCase("""{"type":"object","properties":{"a":{"$ref":"#/$defs/A"}},"$defs":{}}""")]
    [TestCase("""{"type":"object","properties":{"a":{"type":"integer","minimum":1}}}""")]
    public void SchemasWithOtherKeywords_AreLeftToTheFullValidator(string schema)
    {
        Assert.That(SimpleSchemaCheck.TryCreate(JsonDocument.Parse(schema).RootElement), Is.Null);
    }
}
