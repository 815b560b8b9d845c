using System.Net.Http.Headers;
using Newtonsoft.Json.Linq;

namespace AgentSteps.Tests;

/// <summary>The trace shows what a step saw when it ran, and writing it never crashes, hangs, runs user code or balloons.</summary>
public class ExecutedStepTests
{
    private const string RecipeJson = """{"Description":"Pasta","Ingredients":["flour","eggs"],"Instructions":["mix","roll"],"Tips":["rest the dough"]}""";

    public record Recipe(string Description, List<string> Ingredients, List<string> Instructions, List<string> Tips);

    public sealed class Link
    {
        public int Value { get; set; }

        public Link? Next { get; set; }
    }

    public sealed class Settings
    {
        public string Endpoint { get; set; } = "https://api.example.com";

        public string ApiKey { get; set; } = "sk-very-secret";

        public string Password { get; set; } = "hunter2";

        public int MaxTokens { get; set; } = 256;
    }

    public sealed class Flaky
    {
        public string Name => "flaky";

        public string Broken => throw new InvalidOperationException("not loaded");
    }

    public abstract class Work
    {
        [Step]
        public virtual int Count(List<int> items) => items.Count;

        [Step]
        public virtual int Sum(IEnumerable<int> numbers) => numbers.Sum();

        [Step]
        public virtual Link Chain(int length)
        {
            var head = new Link();
            var tail = head;
            for (int i = 1; i < length; i++)
            {
                tail = tail.Next = new Link { Value = i };
            }

            return head;
        }

        [Step]
        public virtual string Wait(Task<int> pending) => pending.IsCompleted ? "done" : "pending";

        [Step]
        public virtual string Describe(Flaky flaky) => flaky.Name;

        [Step]
        public virtual int Apply(Func<int, int> function, int x) => function(x);

        [Step]
        public virtual string Fetch(HttpClient client, string path) => path;

        [Step]
        public virtual string Connect(Settings settings) => settings.Endpoint;

        [Step]
        public virtual int Measure(string text, List<int> items) => text.Length + items.Count;

        [Step]
        public virtual Link Loop()
        {
            var link = new Link { Value = 1 };
            link.Next = link;
            return link;
        }

        [Step]
        public virtual bool Login(string user, string password, int passwordLength) => password.Length == passwordLength;

        [Step]
        public virtual int Outer() => Inner(1);

        [Step]
        public virtual int Inner(int x) => throw new InvalidOperationException("boom\nat line two");
    }

    public abstract class Kitchen
    {
        [Step(Model = "gpt-4o-mini"), Description("Draft a recipe.")]
        public abstract Recipe Draft(string query);

        [Step(Model = "gpt-4o-mini"), Description("Improve the recipe.")]
        public abstract Recipe Improve(Recipe recipe);
    }

    [Test]
    public void Arguments_ListMutatedAfterTheCall_ShowTheListAsTheStepSawIt()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var items = new List<int> { 1, 2, 3 };

        Steps.Create<Work>().Count(items);
        items.Add(4);

        var step = runtime.ExecutedSteps.Single();
        Assert.That(step.Arguments["items"], Is.InstanceOf<List<int>>().And.EqualTo(new[] { 1, 2, 3 }));
        var first = step.Arguments["items"];
        Assert.That(step.Arguments["items"], Is.SameAs(first), "rebuilt once");
        Assert.That(Step(runtime)["arguments"]!["items"]!.ToObject<int[]>(), Is.EqualTo(new[] { 1, 2, 3 }));
    }

    [Test]
    public void ToJson_LazySequenceArgument_IsNeverEnumeratedByTheTrace()
    {
        using var runtime = new Runtime(new SampleChatClient());
        int enumerations = 0;
        IEnumerable<int> Numbers()
        {
            enumerations++;
            yield return 1;
            yield return 2;
        }

        Assert.That(Steps.Create<Work>().Sum(Numbers()), Is.EqualTo(3));
        var first = runtime.ToJson();
        var second = runtime.ToJson();

        Assert.That(enumerations, Is.EqualTo(1), "only the step's own enumeration");
        Assert.That(second, Is.EqualTo(first));
        Assert.That((string?)Step(runtime)["arguments"]!["numbers"], Is.EqualTo("<IEnumerable<int>>"));
    }

    [Test]
    public void ToJson_TenThousandDeepLinkedListResult_ReturnsCappedOutputOnASmallStack()
    {
        using var runtime = new Runtime(new SampleChatClient());
        string? json = null;
        string? tree = null;

        // A 256 KB stack: a walker that recursed through 10,000 links would overflow it and kill the process.
        var thread = new Thread(
            () =>
            {
                Steps.Create<Work>().Chain(10_000);
                json = runtime.ToJson();
                tree = runtime.FormatTree();
            },
            256 * 1024);
        thread.Start();
        thread.Join();

        Assert.That(json, Does.Contain("<Link deeper than 16 levels>"));
        Assert.That(json!, Has.Length.LessThan(10_000));
        Assert.That(tree, Does.StartWith("Chain #1"));
        Assert.That(runtime.ExecutedSteps.Single().Result, Is.InstanceOf<JObject>(), "a capped result stays JSON");
    }

    [Test]
    public void ToJson_PendingTaskArgument_ReturnsAtOnceWithTheTypeName()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var pending = new TaskCompletionSource<int>().Task;

        Assert.That(Steps.Create<Work>().Wait(pending), Is.EqualTo("pending"));
        var writing = Task.Run(() => runtime.ToJson());

        Assert.That(writing.Wait(TimeSpan.FromSeconds(30)), Is.True, "ToJson must not wait for the task");
        Assert.That((string?)JObject.Parse(writing.Result)["steps"]![0]!["arguments"]!["pending"], Is.EqualTo("<Task<int>>"));
        Assert.That(runtime.ExecutedSteps.Single().Arguments["pending"], Is.SameAs(pending), "non-data arguments are kept by reference");
    }

    [Test]
    public void ToJson_ArgumentWithThrowingGetter_WritesAnErrorNoteAndTheRestOfTheTrace()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var workflow = Steps.Create<Work>();

        workflow.Describe(new Flaky());
        workflow.Count([5]);

        var steps = (JArray)JObject.Parse(runtime.ToJson())["steps"]!;
        Assert.That(steps, Has.Count.EqualTo(2));
        Assert.That((string?)steps[0]["arguments"]!["flaky"]!["Name"], Is.EqualTo("flaky"));
        Assert.That((string?)steps[0]["arguments"]!["flaky"]!["Broken"], Is.EqualTo("<error: InvalidOperationException: not loaded>"));
        Assert.That((int?)steps[1]["result"], Is.EqualTo(1));
    }

    [Test]
    public void ToJson_DelegateArgument_WritesItsTypeNameOnly()
    {
        using var runtime = new Runtime(new SampleChatClient());

        Assert.That(Steps.Create<Work>().Apply(x => x + 1, 2), Is.EqualTo(3));

        var arguments = Step(runtime)["arguments"]!;
        Assert.That((string?)arguments["function"], Is.EqualTo("<Func<int, int>>"));
        Assert.That(runtime.ToJson(), Has.Length.LessThan(1_000));
    }

    [Test]
    public void ToJson_HttpClientWithAuthorizationHeader_WritesTheTypeNameAndNoSecret()
    {
        using var runtime = new Runtime(new SampleChatClient());
        using var client = new HttpClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "super-secret-token");

        Steps.Create<Work>().Fetch(client, "/recipes");

        var json = runtime.ToJson();
        Assert.That(json, Does.Not.Contain("super-secret-token"));
        Assert.That((string?)Step(runtime)["arguments"]!["client"], Is.EqualTo("<HttpClient>"));
    }

    [Test]
    public void ToJson_ObjectWithApiKeyAndPassword_ScrubsThemAndKeepsTheRest()
    {
        using var runtime = new Runtime(new SampleChatClient());

        Steps.Create<Work>().Connect(new Settings());

        var json = runtime.ToJson();
        var settings = Step(runtime)["arguments"]!["settings"]!;
        Assert.That(json, Does.Not.Contain("sk-very-secret").And.Not.Contain("hunter2"));
        Assert.That((string?)settings["ApiKey"], Is.EqualTo("[REDACTED]"));
        Assert.That((string?)settings["Password"], Is.EqualTo("[REDACTED]"));
        Assert.That((string?)settings["Endpoint"], Is.EqualTo("https://api.example.com"));
        Assert.That((int?)settings["MaxTokens"], Is.EqualTo(256));
        Assert.That(runtime.ExecutedSteps.Single().Arguments["settings"], Is.InstanceOf<JObject>(), "a scrubbed value stays JSON");
    }

    [Test]
    public void ToJson_ParameterNamedLikeASecret_IsScrubbed()
    {
        using var runtime = new Runtime(new SampleChatClient());

        Assert.That(Steps.Create<Work>().Login("ada", "hunter2", 7), Is.True);

        var arguments = Step(runtime)["arguments"]!;
        Assert.That(runtime.ToJson(), Does.Not.Contain("hunter2"));
        Assert.That((string?)arguments["user"], Is.EqualTo("ada"));
        Assert.That((string?)arguments["password"], Is.EqualTo("[REDACTED]"));
        Assert.That((int?)arguments["passwordLength"], Is.EqualTo(7));
    }

    [Test]
    public void ToJson_HugeStringAndMillionItemList_AreCappedWithNotes()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var text = new string('z', 1_000_000);
        var items = Enumerable.Range(0, 1_000_000).ToList();

        Assert.That(Steps.Create<Work>().Measure(text, items), Is.EqualTo(2_000_000));

        var json = runtime.ToJson();
        var arguments = JObject.Parse(json)["steps"]![0]!["arguments"]!;
        Assert.That((string?)arguments["text"], Does.EndWith("… <995904 more characters>"));
        Assert.That((string?)arguments["items"]!.Last, Is.EqualTo("<999900 more items>"));
        Assert.That(json, Has.Length.LessThan(10_000));
        Assert.That(runtime.ExecutedSteps.Single().Arguments["text"], Is.SameAs(text), "a string is immutable: kept as is, capped only when written");
    }

    [Test]
    public void ToJson_CyclicResult_IsCutWithANote()
    {
        using var runtime = new Runtime(new SampleChatClient());

        Steps.Create<Work>().Loop();

        Assert.That((string?)Step(runtime)["result"]!["Next"], Is.EqualTo("<cycle: Link>"));
    }

    [Test]
    public void FormatTree_FailedStep_ShowsItsMessageOnOneLine()
    {
        using var runtime = new Runtime(new SampleChatClient());

        Assert.Throws<InvalidOperationException>(() => Steps.Create<Work>().Outer());

        var lines = runtime.FormatTree().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(2));
        Assert.That(lines[0], Does.StartWith("Outer #1 (").And.EndWith("failed: InvalidOperationException: boom at line two"));
        Assert.That(lines[1], Does.StartWith("└─ Inner #1 (").And.EndWith("failed: InvalidOperationException: boom at line two"));
    }

    [Test]
    public void Result_LlmStep_IsTheTypedValueTheModelReturned()
    {
        using var runtime = new Runtime(new ScriptedChatClient(RecipeJson, RecipeJson));
        var kitchen = Steps.Create<Kitchen>();

        var improved = kitchen.Improve(kitchen.Draft("pasta"));

        var draft = runtime.ExecutedSteps[0];
        var improve = runtime.ExecutedSteps[1];
        Assert.That(draft.Result, Is.InstanceOf<Recipe>());
        Assert.That(((Recipe)draft.Result!).Ingredients, Is.EqualTo(new[] { "flour", "eggs" }));
        Assert.That(improve.Arguments["recipe"], Is.InstanceOf<Recipe>());
        Assert.That(((Recipe)improve.Result!).Tips, Is.EqualTo(improved.Tips));
        Assert.That((string?)Step(runtime)["result"]!["Description"], Is.EqualTo("Pasta"));
    }

    private static JToken Step(Runtime runtime) => JObject.Parse(runtime.ToJson())["steps"]![0]!;
}
