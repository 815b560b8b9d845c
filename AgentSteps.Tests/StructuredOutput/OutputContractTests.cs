using AgentSteps.StructuredOutput;

namespace AgentSteps.Tests;

public class OutputContractTests
{
    public record Verdict(bool IsValid, string? Reason = null);

    public record Recipe(string Description, List<string> Ingredients, int Servings);

    public enum Mood
    {
        Happy,
        Sad,
    }

    [TestCase(typeof(Verdict), """{"IsValid":true}""", "Reason", TestName = "Missing nullable property")]
    [TestCase(typeof(Verdict), """{"IsValid":"true","Reason":null}""", "IsValid", TestName = "String for a boolean")]
    [TestCase(typeof(Verdict), """{"IsValid":1,"Reason":null}""", "IsValid", TestName = "Number for a boolean")]
    [TestCase(typeof(Verdict), """{"IsValid":true,"Reason":5}""", "Reason", TestName = "Number for a string")]
    [TestCase(typeof(Verdict), """{"IsValid":true,"Reason":null,"Extra":1}""", "Extra", TestName = "Unknown property")]
    [TestCase(typeof(Recipe), """{"Description":null,"Ingredients":[],"Servings":2}""", "Description", TestName = "Null for a non-nullable string")]
    [TestCase(typeof(Recipe), """{"Description":"d","Ingredients":["a",null],"Servings":2}""", "Ingredients", TestName = "Null item in a list of strings")]
    [TestCase(typeof(Recipe), """{"Description":"d","Ingredients":["a",3],"Servings":2}""", "Ingredients", TestName = "Number item in a list of strings")]
    [TestCase(typeof(Recipe), """{"Description":"d","Ingredients":[],"Servings":"2"}""", "Servings", TestName = "String for an integer")]
    [TestCase(typeof(Recipe), """{"Description":"d","Ingredients":[],"Servings":2.5}""", "Servings", TestName = "Fraction for an integer")]
    [TestCase(typeof(Mood), """{"value":1}""", "value", TestName = "Number for an enum")]
    [TestCase(typeof(Mood), """{"value":"Angry"}""", "value", TestName = "Unknown enum value")]
    [TestCase(typeof(int), """{"value":null}""", "value", TestName = "Null for a wrapped integer")]
    [TestCase(typeof(Verdict), "null", "#", TestName = "Null reply")]
    [TestCase(typeof(Verdict), """{"IsValid":true,"Reason":null} {}""", "after", TestName = "Trailing content")]
    public void TryParse_ReplyTheStrictSchemaRejects_IsRejectedNamingWhere(Type type, string reply, string expected)
    {
        var contract = OutputContract.For(type);

        Assert.That(contract.TryParse(reply, out var result, out var errors), Is.False);
        Assert.That(result, Is.Null);
        Assert.That(string.Join("; ", errors), Does.Contain(expected));
    }

    [TestCase(typeof(Verdict), """{"IsValid":true,"Reason":null}""")]
    [TestCase(typeof(Recipe), """{"Description":"d","Ingredients":["a"],"Servings":2}""")]
    [TestCase(typeof(Recipe), "```json\n{\"Description\":\"d\",\"Ingredients\":[],\"Servings\":0}\n```")]
    [TestCase(typeof(double?), """{"value":null}""")]
    [TestCase(typeof(double), """{"value":2}""")]
    [TestCase(typeof(Mood), """{"value":"Sad"}""")]
    public void TryParse_ValidReply_IsAccepted(Type type, string reply)
    {
        Assert.That(OutputContract.For(type).TryParse(reply, out _, out var errors), Is.True, string.Join("; ", errors));
    }
}
