using AgentSteps.Diagnostics;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace AgentSteps.Tests;

public class TraceSnapshotTests
{
    public enum Course
    {
        Starter,
        Main,
    }

    public record Recipe(string Description, List<string> Ingredients, List<string> Instructions, List<string> Tips);

    public sealed class Link
    {
        public int Value { get; set; }

        public Link? Next { get; set; }
    }

    public sealed class Credentials
    {
        public string User { get; set; } = "ada";

        public string ApiKey { get; set; } = "sk-live-123";

        public string Password { get; set; } = "hunter2";

        [JsonProperty("access_token")]
        public string AccessToken { get; set; } = "tok-456";

        public int MaxTokens { get; set; } = 500;

        public int? InputTokenCount { get; set; } = 7;
    }

    public sealed class Flaky
    {
        public string Name => "kept";

        public int Broken => throw new InvalidOperationException("getter failed\non two lines");

        public int After => 3;
    }

    public sealed class PrivateState
    {
        public PrivateState(int value) => Hidden = value;

        public int Visible => Hidden * 2;

        private int Hidden { get; }
    }

    private static readonly StepTraceOptions Options = StepTraceOptions.Default;

    private sealed class OnlyReadOnly(Dictionary<Course, int> inner) : IReadOnlyDictionary<Course, int>
    {
        public int Count => inner.Count;

        public IEnumerable<Course> Keys => inner.Keys;

        public IEnumerable<int> Values => inner.Values;

        public int this[Course key] => inner[key];

        public bool ContainsKey(Course key) => inner.ContainsKey(key);

        public bool TryGetValue(Course key, out int value) => inner.TryGetValue(key, out value);

        public IEnumerator<KeyValuePair<Course, int>> GetEnumerator() => inner.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private static readonly object[] Leaves =
    [
        "text", 42, 4.5, true, 'c', 12.5m, Course.Main, new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), DateTimeOffset.UnixEpoch,
        TimeSpan.FromSeconds(3), Guid.NewGuid(), new DateOnly(2026, 1, 2), new TimeOnly(3, 4), new Uri("https://example.com/"), new Version(1, 2),
    ];

    [TestCaseSource(nameof(Leaves))]
    public void Capture_ImmutableLeaf_ReturnsTheSameInstance(object leaf)
    {
        Assert.That(TraceSnapshot.Capture(leaf, Options), Is.SameAs(leaf));
    }

    [Test]
    public void Capture_Leaf_AllocatesNothing()
    {
        object boxed = 42;
        object text = "hello";
        TraceSnapshot.Capture(boxed, Options);
        TraceSnapshot.Capture(text, Options);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            TraceSnapshot.Capture(boxed, Options);
            TraceSnapshot.Capture(text, Options);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    [Test]
    public void Capture_ListMutatedAfterwards_KeepsItsStateAtCapture()
    {
        var list = new List<int> { 1, 2, 3 };

        var snapshot = TraceSnapshot.Capture(list, Options);
        list.Add(4);

        Assert.That(TraceSnapshot.Materialize(snapshot, Options), Is.EqualTo(new[] { 1, 2, 3 }).And.InstanceOf<List<int>>());
        Assert.That(TraceSnapshot.ToToken(snapshot, Options).ToString(Formatting.None), Is.EqualTo("[1,2,3]"));
    }

    [Test]
    public void Materialize_CompleteRecord_RebuildsAnEqualInstanceOfItsType()
    {
        var recipe = new Recipe("soup", ["water", "salt"], ["boil"], ["taste"]);

        var rebuilt = TraceSnapshot.Materialize(TraceSnapshot.Capture(recipe, Options), Options);

        Assert.That(rebuilt, Is.InstanceOf<Recipe>().And.Not.SameAs(recipe));
        var copy = (Recipe)rebuilt!;
        Assert.That((copy.Description, copy.Ingredients, copy.Instructions, copy.Tips), Is.EqualTo((recipe.Description, recipe.Ingredients, recipe.Instructions, recipe.Tips)));
    }

    [Test]
    public void Materialize_TupleArrayAndDictionary_RebuildEqualValues()
    {
        var values = new object[] { (1, "one"), new[] { 1.5, 2.5 }, new Dictionary<string, List<Course>> { ["menu"] = [Course.Starter, Course.Main] } };

        foreach (var value in values)
        {
            var rebuilt = TraceSnapshot.Materialize(TraceSnapshot.Capture(value, Options), Options);

            Assert.That(rebuilt, Is.EqualTo(value).And.Not.SameAs(value));
        }
    }

    [Test]
    public void Materialize_TypeJsonCannotRebuild_ReturnsTheSnapshotAsJson()
    {
        var rebuilt = TraceSnapshot.Materialize(TraceSnapshot.Capture(new PrivateState(21), Options), Options);

        Assert.That(rebuilt, Is.InstanceOf<JObject>());
        Assert.That((int)((JObject)rebuilt!)["Visible"]!, Is.EqualTo(42));
    }

    [Test]
    public void Materialize_ReturnsACopy_SoTheSnapshotCannotBeChangedThroughIt()
    {
        var snapshot = TraceSnapshot.Capture(new Flaky(), Options);

        var first = (JObject)TraceSnapshot.Materialize(snapshot, Options)!;
        first["Name"] = "changed";

        Assert.That((string?)TraceSnapshot.ToToken(snapshot, Options)["Name"], Is.EqualTo("kept"));
    }

    [Test]
    public void Capture_NonDataObjects_KeepsTheReferenceAndWritesTheTypeName()
    {
        Func<int, int> twice = x => x * 2;
        var pending = new TaskCompletionSource<int>().Task;
        using var stream = new MemoryStream([1, 2, 3]);
        using var client = new HttpClient();
        var values = new object[] { twice, pending, stream, client, CancellationToken.None, typeof(string), Numbers() };

        var written = values.Select(v => (Snapshot: TraceSnapshot.Capture(v, Options), Value: v)).ToList();

        foreach (var (snapshot, value) in written)
        {
            Assert.That(snapshot, Is.SameAs(value));
        }

        Assert.That(
            written.Select(w => (string?)TraceSnapshot.ToToken(w.Snapshot, Options)),
            Is.EqualTo(new[] { "<Func<int, int>>", "<Task<int>>", "<MemoryStream>", "<HttpClient>", "<CancellationToken>", "<Type>", "<IEnumerable<int>>" }));

        static IEnumerable<int> Numbers()
        {
            yield return 1;
        }
    }

    [Test]
    public void Capture_LazySequenceInsideAnObject_IsNeverEnumerated()
    {
        int enumerations = 0;
        IEnumerable<int> Counted()
        {
            enumerations++;
            yield return 1;
        }

        var token = TraceSnapshot.ToToken(TraceSnapshot.Capture(new { Items = Counted(), Count = 1 }, Options), Options);

        Assert.That(enumerations, Is.Zero);
        Assert.That((string?)token["Items"], Is.EqualTo("<IEnumerable<int>>"));
    }

    [Test]
    public void Capture_SecretLookingMembers_AreRedactedButCountsAreKept()
    {
        var token = (JObject)TraceSnapshot.ToToken(TraceSnapshot.Capture(new Credentials(), Options), Options);

        Assert.That((string?)token["User"], Is.EqualTo("ada"));
        Assert.That((string?)token["ApiKey"], Is.EqualTo("[REDACTED]"));
        Assert.That((string?)token["Password"], Is.EqualTo("[REDACTED]"));
        Assert.That((string?)token["access_token"], Is.EqualTo("[REDACTED]"));
        Assert.That((int)token["MaxTokens"]!, Is.EqualTo(500));
        Assert.That((int)token["InputTokenCount"]!, Is.EqualTo(7));
        Assert.That(token.ToString(), Does.Not.Contain("sk-live").And.Not.Contain("hunter2").And.Not.Contain("tok-456"));
    }

    [Test]
    public void Capture_SecretLookingDictionaryKeysAndJsonProperties_AreRedacted()
    {
        var headers = new Dictionary<string, string> { ["Accept"] = "json", ["Authorization"] = "Bearer abc", ["x-api-key"] = "k1" };
        var json = JObject.Parse("""{"name":"n","client_secret":"s3","nested":{"Cookie":"c=1"}}""");

        var written = TraceSnapshot.ToToken(TraceSnapshot.Capture(new { Headers = headers, Json = json }, Options), Options);

        Assert.That((string?)written["Headers"]!["Accept"], Is.EqualTo("json"));
        Assert.That((string?)written["Json"]!["name"], Is.EqualTo("n"));
        Assert.That(written.ToString(), Does.Not.Contain("Bearer abc").And.Not.Contain("k1").And.Not.Contain("s3").And.Not.Contain("c=1"));
    }

    [Test]
    public void Capture_ThrowingGetter_BecomesAnErrorNoteOnThatMember()
    {
        var snapshot = TraceSnapshot.Capture(new Flaky(), Options);

        var token = TraceSnapshot.ToToken(snapshot, Options);
        Assert.That((string?)token["Name"], Is.EqualTo("kept"));
        Assert.That((string?)token["Broken"], Is.EqualTo("<error: InvalidOperationException: getter failed on two lines>"));
        Assert.That((int)token["After"]!, Is.EqualTo(3));
        Assert.That(TraceSnapshot.Materialize(snapshot, Options), Is.InstanceOf<JObject>(), "an incomplete snapshot stays JSON");
    }

    [Test]
    public void Capture_DeepLinkedList_StopsAtMaxDepthWithoutRecursingFurther()
    {
        var head = new Link { Value = 0 };
        var tail = head;
        for (int i = 1; i < 10_000; i++)
        {
            tail = tail.Next = new Link { Value = i };
        }

        var token = TraceSnapshot.ToToken(TraceSnapshot.Capture(head, Options), Options);

        int depth = 0;
        for (var node = token; node is JObject; node = node["Next"]!)
        {
            depth++;
        }

        Assert.That(depth, Is.EqualTo(StepTraceOptions.DefaultMaxDepth));
        Assert.That(token.SelectToken(string.Concat(Enumerable.Repeat(".Next", StepTraceOptions.DefaultMaxDepth))[1..])!.ToString(), Is.EqualTo("<Link deeper than 16 levels>"));
    }

    [Test]
    public void Capture_Cycle_IsCutWithANote()
    {
        var link = new Link { Value = 1 };
        link.Next = new Link { Value = 2, Next = link };

        var token = TraceSnapshot.ToToken(TraceSnapshot.Capture(link, Options), Options);

        Assert.That((int)token["Next"]!["Value"]!, Is.EqualTo(2));
        Assert.That((string?)token["Next"]!["Next"], Is.EqualTo("<cycle: Link>"));
    }

    [Test]
    public void Capture_MillionItemListAndHugeString_AreCappedWithNotes()
    {
        var items = Enumerable.Range(0, 1_000_000).ToList();
        var text = new string('x', 1_000_000);

        var written = TraceSnapshot.ToToken(TraceSnapshot.Capture(new { Items = items, Text = text }, Options), Options);

        var array = (JArray)written["Items"]!;
        Assert.That(array, Has.Count.EqualTo(StepTraceOptions.DefaultMaxItems + 1));
        Assert.That((string?)array[^1], Is.EqualTo("<999900 more items>"));
        Assert.That((string?)written["Text"], Does.StartWith(new string('x', StepTraceOptions.DefaultMaxStringLength)).And.EndWith("… <995904 more characters>"));
        Assert.That(written.ToString(Formatting.None).Length, Is.LessThan(StepTraceOptions.DefaultMaxValueLength));
    }

    [Test]
    public void ToToken_LongStringLeaf_IsCappedOnlyWhenWritten()
    {
        var text = new string('y', 10_000);

        var snapshot = TraceSnapshot.Capture(text, Options);

        Assert.That(snapshot, Is.SameAs(text));
        Assert.That((string?)TraceSnapshot.ToToken(snapshot, Options), Has.Length.EqualTo(StepTraceOptions.DefaultMaxStringLength + "… <5904 more characters>".Length));
    }

    [Test]
    public void Capture_ManyLargeStrings_StayWithinTheValueBudget()
    {
        var strings = Enumerable.Range(0, 100).Select(i => new string((char)('a' + (i % 26)), 4_000)).ToList();

        var written = TraceSnapshot.ToToken(TraceSnapshot.Capture(strings, Options), Options);

        Assert.That(written.ToString(Formatting.None).Length, Is.LessThan(StepTraceOptions.DefaultMaxValueLength + 5_000));
        Assert.That((string?)written.Last, Does.Contain("more items left out: the value passed 65536 characters"));
    }

    [Test]
    public void Capture_SettableCaps_AreHonoured()
    {
        var options = new StepTraceOptions { MaxDepth = 2, MaxItems = 2, MaxStringLength = 3, MaxValueLength = 1_000 };
        var value = new { Text = "abcdef", Items = new[] { 1, 2, 3 }, Deep = new { Deeper = new { Deepest = 1 } } };

        var written = TraceSnapshot.ToToken(TraceSnapshot.Capture(value, options), options);

        Assert.That((string?)written["Text"], Is.EqualTo("abc… <3 more characters>"));
        Assert.That(written["Items"]!.ToString(Formatting.None), Is.EqualTo("""[1,2,"<1 more items>"]"""));
        Assert.That(written["Deep"]!["Deeper"]!.Type, Is.EqualTo(JTokenType.String));
        Assert.That((string?)written["Deep"]!["Deeper"], Does.Contain("deeper than 2 levels"));
    }

    [Test]
    public void Capture_ExceptionArgument_WritesTypeAndMessage()
    {
        var written = TraceSnapshot.ToToken(TraceSnapshot.Capture(new InvalidOperationException("boom"), Options), Options);

        Assert.That(written.ToString(Formatting.None), Is.EqualTo("""{"type":"System.InvalidOperationException","message":"boom"}"""));
    }

    [Test]
    public void Capture_SystemTextJsonValues_AreWrittenAsTheJsonTheyHold()
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse("""{"a":1,"b":[true,"x"],"api_key":"k"}""")!;
        var element = System.Text.Json.JsonDocument.Parse("""{"n":2}""").RootElement;

        var written = TraceSnapshot.ToToken(TraceSnapshot.Capture(new { Node = node, Element = element }, Options), Options);

        Assert.That(written.ToString(Formatting.None), Is.EqualTo("""{"Node":{"a":1,"b":[true,"x"],"api_key":"[REDACTED]"},"Element":{"n":2}}"""));
    }

    [Test]
    public void Capture_ReadOnlyDictionaryWithoutIDictionary_IsWrittenByKey()
    {
        IReadOnlyDictionary<Course, int> counts = new OnlyReadOnly(new Dictionary<Course, int> { [Course.Starter] = 1, [Course.Main] = 2 });

        var written = TraceSnapshot.ToToken(TraceSnapshot.Capture(counts, Options), Options);

        Assert.That(written.ToString(Formatting.None), Is.EqualTo("""{"Starter":1,"Main":2}"""));
    }

    [Test]
    public void Capture_JToken_IsCopiedSoLaterChangesDoNotShow()
    {
        var json = new JObject { ["a"] = 1 };

        var snapshot = TraceSnapshot.Capture(json, Options);
        json["a"] = 2;

        Assert.That((int)TraceSnapshot.ToToken(snapshot, Options)["a"]!, Is.EqualTo(1));
        Assert.That((int)((JToken)TraceSnapshot.Materialize(snapshot, Options)!)["a"]!, Is.EqualTo(1));
    }
}
