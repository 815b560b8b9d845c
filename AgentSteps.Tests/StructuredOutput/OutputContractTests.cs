using System.Text.Json.Serialization;
using AgentSteps.StructuredOutput;
using Newtonsoft.Json.Linq;

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
    [TestCase(typeof(Verdict), "null", "$: expected an object, got null", TestName = "Null reply")]
    [TestCase(typeof(Verdict), """{"IsValid":true,"Reason":null} {}""", "$: not valid JSON: the reply has more text after the JSON value", TestName = "Trailing content")]
    [TestCase(typeof(Verdict), "", "$: not valid JSON: the reply is empty", TestName = "Empty reply")]
    [TestCase(typeof(Verdict), """{"IsValid":true,"Reason":""", "not valid JSON: the reply ends before its objects and arrays are closed", TestName = "Cut-off reply")]
    [TestCase(typeof(Verdict), """Sure: {"IsValid":true,"Reason":null}""", "$: not valid JSON: the reply must be the JSON value alone", TestName = "Prose around unfenced JSON")]
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

    public record Priced(decimal Price);

    public record Measured(double Value);

    public record Counted(ulong Count);

    public record Lettered(char Letter);

    public record Dated(DateTimeOffset At, DateTime When, DateOnly Day);

    public record Timed(TimeSpan Duration, TimeOnly Time);

    public record Linked(Uri Link);

    public record Renamed([property: JsonPropertyName("title")] string Name, [property: JsonIgnore] string? Secret = null);

    public enum Shade
    {
        [JsonStringEnumMemberName("dark-red")]
        DarkRed,
        Blue,
    }

    public record Wrapper(Verdict Inner);

    public record Positive(int Value)
    {
        public int Value { get; init; } = Value >= 0 ? Value : throw new ArgumentOutOfRangeException(nameof(Value), "Value must not be negative.");
    }

    public class ThrowingValidation : System.ComponentModel.DataAnnotations.IValidatableObject
    {
        public int Value { get; set; }

        public IEnumerable<System.ComponentModel.DataAnnotations.ValidationResult> Validate(System.ComponentModel.DataAnnotations.ValidationContext validationContext) =>
            throw new InvalidOperationException("The validator broke.");
    }

    public class PrivateSetter
    {
        public string Name { get; private set; } = string.Empty;
    }

    public class GetOnly
    {
        public string Name { get; } = string.Empty;
    }

    public class MisnamedParameter
    {
        public MisnamedParameter(string title) => Name = title;

        public string Name { get; }
    }

    private static string Errors(Type type, string reply)
    {
        var contract = OutputContract.For(type);
        Assert.That(contract.TryParse(reply, out var result, out var errors), Is.False, "the reply must be rejected");
        Assert.That(result, Is.Null);
        return string.Join("\n", errors);
    }

    [TestCase(typeof(Priced), """{"Price":1e30}""", "$.Price: the number is out of range for a decimal", TestName = "1e30 into decimal")]
    [TestCase(typeof(Priced), """{"Price":79228162514264337593543950336}""", "$.Price: the number is out of range for a decimal", TestName = "decimal.MaxValue + 1 into decimal")]
    [TestCase(typeof(Counted), """{"Count":18446744073709551616}""", "$.Count: the number is out of range for an integer from 0 to 18446744073709551615", TestName = "2^64 into ulong")]
    [TestCase(typeof(int), """{"value":18446744073709551616}""", "$.value: the number is out of range for an integer from -2147483648 to 2147483647", TestName = "2^64 into wrapped int")]
    [TestCase(typeof(Measured), """{"Value":1e400}""", "$.Value: the number is out of range for a double", TestName = "1e400 into double")]
    public void TryParse_NumberOutOfRangeForTheTarget_IsAnErrorNotACrash(Type type, string reply, string expected)
    {
        Assert.That(Errors(type, reply), Does.StartWith(expected));
    }

    [TestCase(typeof(Measured), """{"Value":NaN}""", TestName = "NaN")]
    [TestCase(typeof(Measured), """{"Value":Infinity}""", TestName = "Infinity")]
    [TestCase(typeof(Measured), """{"Value":-Infinity}""", TestName = "-Infinity")]
    [TestCase(typeof(Priced), """{"Price":NaN}""", TestName = "NaN into decimal")]
    [TestCase(typeof(Counted), """{"Count":010}""", TestName = "Octal-looking 010")]
    [TestCase(typeof(Counted), """{"Count":0x1A}""", TestName = "Hexadecimal 0x1A")]
    [TestCase(typeof(Verdict), """{"IsValid":true,"Reason":null /* why */}""", TestName = "Block comment")]
    [TestCase(typeof(Verdict), "{\"IsValid\":true,\n// note\n\"Reason\":null}", TestName = "Line comment")]
    [TestCase(typeof(Verdict), """{'IsValid':true,'Reason':null}""", TestName = "Single quotes")]
    [TestCase(typeof(Verdict), """{IsValid:true,Reason:null}""", TestName = "Unquoted names")]
    [TestCase(typeof(Verdict), """{"IsValid":true,"Reason":null,}""", TestName = "Trailing comma in an object")]
    [TestCase(typeof(Recipe), """{"Description":"d","Ingredients":["a",],"Servings":1}""", TestName = "Trailing comma in an array")]
    public void TryParse_NotStrictJson_IsRejectedAsNotValidJson(Type type, string reply)
    {
        Assert.That(Errors(type, reply), Does.StartWith("$").And.Contain(": not valid JSON: "));
    }

    [TestCase(typeof(Verdict), """{"IsValid":false,"IsValid":true,"Reason":null}""", "$.IsValid: duplicate property", TestName = "Duplicate name")]
    [TestCase(typeof(Verdict), """{"isValid":true,"Reason":null}""", "$.isValid: unknown property of Verdict; did you mean 'IsValid'?", TestName = "Wrongly cased name")]
    [TestCase(typeof(Mood), """{"value":"sad"}""", "$.value: 'sad' is not one of 'Happy', 'Sad'", TestName = "Wrongly cased enum")]
    [TestCase(typeof(Mood), """{"value":"Happy, Sad"}""", "$.value: 'Happy, Sad' is not one of 'Happy', 'Sad'", TestName = "Flags combination of a plain enum")]
    [TestCase(typeof(Lettered), """{"Letter":65}""", "$.Letter: expected a string of exactly one character, got a number", TestName = "Number into char")]
    [TestCase(typeof(Lettered), """{"Letter":"AB"}""", "$.Letter: expected a string of exactly one character, got a string of 2 characters", TestName = "Two characters into char")]
    [TestCase(typeof(Dated), """{"At":"1/2/2024","When":"2024-01-02T00:00:00Z","Day":"2024-01-02"}""", "$.At: expected an RFC 3339 date-time", TestName = "US date")]
    [TestCase(typeof(Dated), """{"At":"2024-01-02T00:00:00Z","When":"/Date(0)/","Day":"2024-01-02"}""", "$.When: expected an RFC 3339 date-time", TestName = "Microsoft JSON date")]
    [TestCase(typeof(Dated), """{"At":"2024-01-02T10:00:00","When":"2024-01-02T00:00:00Z","Day":"2024-01-02"}""", "$.At: expected an RFC 3339 date-time with a time zone", TestName = "Zone-less DateTimeOffset")]
    [TestCase(typeof(Dated), """{"At":"2024-01-02T00:00:00Z","When":"2024-01-02T00:00:00Z","Day":"02.01.2024"}""", "$.Day: expected a date as YYYY-MM-DD", TestName = "Dotted date")]
    [TestCase(typeof(Linked), """{"Link":"/relative/page"}""", "$.Link: expected an absolute URI", TestName = "Relative URI")]
    [TestCase(typeof(Timed), """{"Duration":"01:30:00","Time":"10:00:00"}""", "$.Duration: expected an ISO 8601 duration", TestName = "TimeSpan in .NET form")]
    [TestCase(typeof(Timed), """{"Duration":"P1M","Time":"10:00:00"}""", "$.Duration: expected an ISO 8601 duration", TestName = "Duration in months")]
    [TestCase(typeof(Timed), """{"Duration":"PT1H","Time":"10:00:00Z"}""", "$.Time: ", TestName = "Time with a zone")]
    [TestCase(typeof(Recipe), """{"Description":"d","Ingredients":["a",2],"Servings":1}""", "$.Ingredients[1]: expected a string, got a number", TestName = "Number in a list of strings")]
    [TestCase(typeof(Recipe), """{"Description":"d","Ingredients":[]}""", "$: missing required property 'Servings'", TestName = "Missing property")]
    [TestCase(typeof(Verdict), """{"IsValid":"yes","Reason":null}""", "$.IsValid: expected true or false, got a string", TestName = "String for a boolean, in words")]
    public void TryParse_LenientOrWrongValue_IsRejectedWithAPathAndAPlainReason(Type type, string reply, string expected)
    {
        Assert.That(Errors(type, reply), Does.Contain(expected));
    }

    [Test]
    public void TryParse_Errors_NeverCarrySchemaValidatorCodes()
    {
        var errors = Errors(typeof(Recipe), """{"Description":5,"Ingredients":"a","Extra":1}""");

        Assert.That(errors, Does.Not.Contain("#/").And.Not.Contain("Expected\n").And.Not.Contain("PropertyRequired").And.Not.Contain("NoAdditionalPropertiesAllowed"));
        Assert.That(errors.Split('\n'), Has.All.Match("^\\$[^ ]*: "));
    }

    [Test]
    public void TryParse_DecimalWithMoreDigitsThanADouble_IsReadExactly()
    {
        Assert.That(OutputContract.For(typeof(Priced)).TryParse("""{"Price":1234567890.123456789}""", out var result, out var errors), Is.True, string.Join("; ", errors));
        Assert.That(((Priced)result!).Price, Is.EqualTo(1234567890.123456789m));
    }

    [Test]
    public void TryParse_DecimalMaxValueAndHugeIntegerIntoDouble_AreRead()
    {
        Assert.That(OutputContract.For(typeof(Priced)).TryParse("""{"Price":79228162514264337593543950335}""", out var price, out _), Is.True);
        Assert.That(((Priced)price!).Price, Is.EqualTo(decimal.MaxValue));
        Assert.That(OutputContract.For(typeof(Measured)).TryParse("""{"Value":18446744073709551616}""", out var measured, out _), Is.True);
        Assert.That(((Measured)measured!).Value, Is.EqualTo(18446744073709551616d));
    }

    [Test]
    public void TryParse_IsoDatesDurationsAndTimes_AreRead()
    {
        Assert.That(OutputContract.For(typeof(Dated)).TryParse("""{"At":"2024-01-02T10:00:00+02:00","When":"2024-01-02T10:00:00.5Z","Day":"2024-01-02"}""", out var dated, out var errors), Is.True, string.Join("; ", errors));
        var d = (Dated)dated!;
        Assert.That(d.At, Is.EqualTo(new DateTimeOffset(2024, 1, 2, 10, 0, 0, TimeSpan.FromHours(2))));
        Assert.That(d.When, Is.EqualTo(new DateTime(2024, 1, 2, 10, 0, 0, 500, DateTimeKind.Utc)));
        Assert.That(d.When.Kind, Is.EqualTo(DateTimeKind.Utc));
        Assert.That(d.Day, Is.EqualTo(new DateOnly(2024, 1, 2)));

        Assert.That(OutputContract.For(typeof(Timed)).TryParse("""{"Duration":"PT1H30M","Time":"10:00:00"}""", out var timed, out errors), Is.True, string.Join("; ", errors));
        Assert.That(((Timed)timed!).Duration, Is.EqualTo(TimeSpan.FromMinutes(90)));
        Assert.That(((Timed)timed).Time, Is.EqualTo(new TimeOnly(10, 0)));
        Assert.That(OutputContract.For(typeof(Timed)).TryParse("""{"Duration":"P2DT3H4M5.5S","Time":"23:59:59.25"}""", out timed, out _), Is.True);
        Assert.That(((Timed)timed!).Duration, Is.EqualTo(new TimeSpan(2, 3, 4, 5, 500)));
    }

    [Test]
    public void Schema_TimeOnly_PromisesWhatTheReaderAccepts()
    {
        var time = JObject.Parse(OutputContract.For(typeof(Timed)).SchemaJson!)["properties"]!["Time"]!;

        Assert.That((string?)time["format"], Is.Null, "format: time would promise RFC 3339 times with a zone");
        Assert.That((string?)time["pattern"], Is.EqualTo(IsoText.TimePattern));
        Assert.That((string?)JObject.Parse(OutputContract.For(typeof(Timed)).SchemaJson!)["properties"]!["Duration"]!["format"], Is.EqualTo("duration"));
    }

    [Test]
    public void TryParse_OneFencedBlockWithProseOrALeadingBom_IsRead()
    {
        var contract = OutputContract.For(typeof(Verdict));
        Assert.That(contract.TryParse("Here it is:\n```json\n{\"IsValid\":true,\"Reason\":null}\n```\nHope this helps.", out var fenced, out var errors), Is.True, string.Join("; ", errors));
        Assert.That(((Verdict)fenced!).IsValid, Is.True);
        Assert.That(contract.TryParse("\uFEFF{\"IsValid\":true,\"Reason\":null}", out _, out errors), Is.True, string.Join("; ", errors));
    }

    [Test]
    public void TryParse_TwoFencedBlocks_IsRejected()
    {
        var reply = "```json\n{\"IsValid\":true,\"Reason\":null}\n```\nor\n```json\n{\"IsValid\":false,\"Reason\":null}\n```";
        Assert.That(Errors(typeof(Verdict), reply), Is.EqualTo("$: the reply has 2 fenced code blocks; reply with one JSON value only"));
    }

    [Test]
    public void TryParse_ManyErrors_AreCapped()
    {
        var reply = """{"Description":"d","Ingredients":[""" + string.Join(",", Enumerable.Range(0, 500)) + """],"Servings":1}""";
        Assert.That(OutputContract.For(typeof(Recipe)).TryParse(reply, out _, out var errors), Is.False);

        Assert.That(errors, Has.Count.EqualTo(Correction.MaxErrors + 1));
        Assert.That(errors[^1], Does.Contain("more error(s)"));
    }

    [Test]
    public void For_ValueTuple_IsRejectedAtDefinitionTime()
    {
        var e = Assert.Throws<OutputSchemaException>(() => OutputContract.For(typeof((int Count, string Name))));
        Assert.That(e!.Message, Does.Contain("tuple").And.Contain("record"));
    }

    [TestCase(typeof(System.Numerics.BigInteger))]
    [TestCase(typeof(Int128))]
    [TestCase(typeof(List<Half>))]
    public void For_NumberTypeWithoutASchemaForm_IsRejectedAtDefinitionTime(Type type)
    {
        var e = Assert.Throws<OutputSchemaException>(() => OutputContract.For(type));
        Assert.That(e!.Message, Does.Contain("use long, ulong, double or decimal"));
    }

    [Test]
    public void For_GetOnlyProperty_IsRejectedNamingTheMemberAndTheFix()
    {
        var e = Assert.Throws<OutputSchemaException>(() => OutputContract.For(typeof(GetOnly)));
        Assert.That(e!.Message, Does.Contain("'GetOnly.Name'").And.Contain("init").And.Contain("[JsonIgnore]"));
    }

    [Test]
    public void For_ConstructorParameterNamedDifferently_IsRejectedNamingTheMember()
    {
        var e = Assert.Throws<OutputSchemaException>(() => OutputContract.For(typeof(MisnamedParameter)));
        Assert.That(e!.Message, Does.Contain("'MisnamedParameter.Name'").And.Contain("title"));
    }

    [Test]
    public void TryParse_PrivateSetter_IsSetNotDropped()
    {
        Assert.That(OutputContract.For(typeof(PrivateSetter)).TryParse("""{"Name":"set"}""", out var result, out var errors), Is.True, string.Join("; ", errors));
        Assert.That(((PrivateSetter)result!).Name, Is.EqualTo("set"));
    }

    [Test]
    public void Schema_SystemTextJsonAttributes_AreHonouredInSchemaAndParsing()
    {
        var contract = OutputContract.For(typeof(Renamed));
        var schema = JObject.Parse(contract.SchemaJson!);
        Assert.That(((JObject)schema["properties"]!).Properties().Select(p => p.Name), Is.EqualTo(new[] { "title" }));
        Assert.That(contract.TryParse("""{"title":"Soup"}""", out var result, out var errors), Is.True, string.Join("; ", errors));
        Assert.That(((Renamed)result!).Name, Is.EqualTo("Soup"));
        Assert.That(contract.TryParse("""{"Name":"Soup"}""", out _, out _), Is.False);

        var shades = OutputContract.For(typeof(Shade));
        Assert.That(shades.SchemaJson, Does.Contain("\"dark-red\"").And.Not.Contain("\"DarkRed\""));
        Assert.That(shades.TryParse("""{"value":"dark-red"}""", out var shade, out errors), Is.True, string.Join("; ", errors));
        Assert.That(shade, Is.EqualTo(Shade.DarkRed));
    }

    [Test]
    public void Serialize_RenamedEnum_WritesTheNameTheSchemaUses()
    {
        Assert.That(AgentStepsJson.Serialize(Shade.DarkRed), Is.EqualTo("\"dark-red\""));
        Assert.That(AgentStepsJson.Serialize(new Renamed("Soup", "hidden")), Is.EqualTo("""{"title":"Soup"}"""));
    }

    [Test]
    public void TryParse_NullForANonNullableNestedObject_SaysSoInWords()
    {
        Assert.That(Errors(typeof(Wrapper), """{"Inner":null}"""), Does.Contain("$.Inner: expected an object, got null"));
    }

    [Test]
    public void TryParse_UserCodeThrowingOnTheValue_IsAnErrorNotACrash()
    {
        Assert.That(Errors(typeof(Positive), """{"Value":-1}"""), Does.Contain("Value must not be negative."));
        Assert.That(Errors(typeof(ThrowingValidation), """{"Value":1}"""), Does.Contain("$: validation failed: The validator broke."));
    }

    public record Everything(string Name, int Count, decimal Price, double Ratio, bool Done, Mood Mood, DateTimeOffset At, TimeSpan Span, List<Verdict> Verdicts, char Letter);

    [Test]
    public void TryParse_EveryOneCharacterMutationOfAValidReply_NeverThrows()
    {
        const string Valid = """{"Name":"n","Count":2,"Price":1.5,"Ratio":0.25,"Done":true,"Mood":"Sad","At":"2024-01-02T03:04:05Z","Span":"PT1H","Verdicts":[{"IsValid":true,"Reason":null}],"Letter":"x"}""";
        var contract = OutputContract.For(typeof(Everything));
        Assert.That(contract.TryParse(Valid, out _, out var errors), Is.True, string.Join("; ", errors));

        var replacements = new[] { "", "0", "9", "e", "\"", "{", "}", "[", "]", ",", ":", "'", "/", "-", "\\", "\u0000", "99999999999999999999999999999999", "1e400", "null" };
        var crashes = new List<string>();
        for (int i = 0; i < Valid.Length; i++)
        {
            foreach (var replacement in replacements)
            {
                var reply = string.Concat(Valid.AsSpan(0, i), replacement, Valid.AsSpan(i + 1));
                try
                {
                    _ = contract.TryParse(reply, out _, out var found);
                    if (found.Any(e => !e.StartsWith('$')))
                    {
                        crashes.Add($"{reply} -> {string.Join("; ", found)}");
                    }
                }
                catch (Exception e)
                {
                    crashes.Add($"{reply} -> {e.GetType().Name}: {e.Message}");
                }
            }
        }

        Assert.That(crashes, Is.Empty);
    }

    [Test]
    public void Schema_WrappedOutputs_CarryNoDescriptionTheUserDidNotWrite()
    {
        foreach (var type in new[] { typeof(int), typeof(Mood), typeof(List<string>) })
        {
            Assert.That(OutputContract.For(type).SchemaJson, Does.Not.Contain("\"description\""), type.Name);
        }
    }
}
