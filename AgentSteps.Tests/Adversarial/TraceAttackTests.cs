using System.Text.Json;
using Newtonsoft.Json.Linq;

namespace AgentSteps.Tests.Adversarial;

public class TraceAttackTests
{
    private const string Key = "sk-test-1234567890abcdef";

    public class Node
    {
        public Node? Next { get; set; }

        public int Value { get; set; }
    }

    public class Throwing
    {
        public int Fine => 1;

        public int Bad => throw new InvalidOperationException("getter broke");
    }

    public class Nested
    {
        public Dictionary<string, object?> Settings { get; set; } = [];

        public List<Nested> Children { get; set; } = [];
    }

    public struct Boxy
    {
        public object? Inner { get; set; }
    }

    public abstract class Sink
    {
        [Step]
        public virtual object? Take(object? value) => value;

        [Step]
        public virtual IEnumerable<int> Forever()
        {
            int i = 0;
            while (true)
            {
                yield return i++;
            }
        }
    }

    private static (Runtime Runtime, Sink Sink) Open()
    {
        var runtime = new Runtime(new SampleChatClient());
        return (runtime, Steps.Create<Sink>());
    }

    [Test]
    public void ToJson_HeaderPairsListWithAuthorization_ScrubsTheKey()
    {
        var (runtime, sink) = Open();
        using (runtime)
        {
            var headers = new List<KeyValuePair<string, IEnumerable<string>>>
            {
                new("Authorization", ["Bearer " + Key]),
                new("Accept", ["application/json"]),
            };
            sink.Take(headers);

            Assert.That(runtime.ToJson(), Does.Not.Contain("1234567890abcdef"));
            Assert.That(runtime.FormatTree(), Does.Not.Contain("1234567890abcdef"));
        }
    }

    [Test]
    public void ToJson_LargeJsonElementWithSecretMember_ScrubsTheKey()
    {
        var (runtime, sink) = Open();
        using (runtime)
        {
            var json = "{\"apiKey\":\"" + Key + "\",\"padding\":\"" + new string('x', 10_000) + "\"}";
            using var document = JsonDocument.Parse(json);
            sink.Take(document.RootElement.Clone());

            Assert.That(runtime.ToJson(), Does.Not.Contain("1234567890abcdef"));
        }
    }

    [Test]
    public void ToJson_SmallJsonElementWithSecretMember_ScrubsTheKey()
    {
        var (runtime, sink) = Open();
        using (runtime)
        {
            using var document = JsonDocument.Parse("{\"apiKey\":\"" + Key + "\"}");
            sink.Take(document.RootElement.Clone());

            Assert.That(runtime.ToJson(), Does.Not.Contain("1234567890abcdef"));
        }
    }

    [Test]
    public void ToJson_SecretsInNestedDictionariesAndJTokens_Scrubbed()
    {
        var (runtime, sink) = Open();
        using (runtime)
        {
            var value = new Nested
            {
                Settings = { ["X-Api-Key"] = Key, ["nested"] = new Dictionary<string, string> { ["client_secret"] = Key } },
                Children = { new Nested { Settings = { ["jt"] = JObject.Parse("{\"password\":\"" + Key + "\"}") } } },
            };
            sink.Take(value);

            Assert.That(runtime.ToJson(), Does.Not.Contain("1234567890abcdef"));
        }
    }

    [Test]
    public void ToJson_HostileValues_NeverCrashHangOrBalloon()
    {
        var (runtime, sink) = Open();
        using (runtime)
        {
            var head = new Node();
            var node = head;
            for (int i = 0; i < 100_000; i++)
            {
                node = node.Next = new Node { Value = i };
            }

            var cycle = new Nested();
            cycle.Children.Add(cycle);
            cycle.Settings["self"] = cycle;

            var deepArray = JToken.Parse(new string('[', 60) + new string(']', 60));
            var boxy = new Boxy();
            boxy.Inner = new Boxy { Inner = new Boxy { Inner = boxy } };

            sink.Take(head);
            sink.Take(cycle);
            sink.Take(new Throwing());
            sink.Take(new TaskCompletionSource<int>().Task);
            sink.Take((Func<int>)(() => 1));
            sink.Take(new MemoryStream(new byte[1000]));
            sink.Take(Enumerable.Range(0, 10_000_000).Select(i => i));
            sink.Take(new int[1_000_000]);
            sink.Take(new string('y', 5_000_000));
            sink.Take(deepArray);
            sink.Take(boxy);
            sink.Take(double.NaN);
            sink.Take(new HttpClient());
            var forever = sink.Forever();

            var json = runtime.ToJson();
            var tree = runtime.FormatTree();
            Assert.That(json.Length, Is.LessThan(2_000_000));
            Assert.That(tree.Length, Is.LessThan(200_000));
            Assert.That(json, Does.Contain("getter broke"));
            Assert.That(forever, Is.Not.Null);
        }
    }

    [Test]
    public void Arguments_MutatedAfterTheCall_ShowTheStateAtTheCall()
    {
        var (runtime, sink) = Open();
        using (runtime)
        {
            var list = new List<int> { 1, 2 };
            sink.Take(list);
            list.Add(3);

            var seen = runtime.ExecutedSteps.Single().Arguments["value"];
            Assert.That(seen, Is.EqualTo(new[] { 1, 2 }).AsCollection);

            // The typed view is a copy made on first read and shared by later reads (documented): changing it changes
            // what those reads see, never the trace's snapshot, which ToJson writes.
            ((List<int>)seen!).Add(99);

            Assert.That(runtime.ExecutedSteps.Single().Arguments["value"], Is.SameAs(seen));
            var written = Newtonsoft.Json.Linq.JObject.Parse(runtime.ToJson())["steps"]![0]!["arguments"]!["value"]!;
            Assert.That(written.ToObject<int[]>(), Is.EqualTo(new[] { 1, 2 }));
        }
    }
}
