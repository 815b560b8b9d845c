using Microsoft.Data.Sqlite;
using Newtonsoft.Json.Linq;

namespace AgentSteps.Tests.Journal;

[TestFixture("memory")]
[TestFixture("sqlite")]
public sealed class ReplayTests(string kind)
{
    private string? _folder;
    private IRunJournal _journal = null!;

    public sealed record Idea(string Text);

    public sealed class Counts
    {
        public int Plan { get; set; }
        public int Price { get; set; }
        public int Check { get; set; }
        public int FailPrice { get; set; }
    }

    public abstract class Trip(Counts counts)
    {
        [Step(Model = "m")]
        public abstract Task<Idea> Suggest(string city);

        [Step]
        public virtual async Task<string> Plan(string city)
        {
            counts.Plan++;
            var idea = await Suggest(city);
            var fee = await Price(idea.Text);
            string note;
            try
            {
                note = await Check(idea.Text);
            }
            catch (InvalidOperationException e)
            {
                note = "unchecked (" + e.Message + ")";
            }

            return $"{idea.Text} {fee} {note}";
        }

        [Step]
        public virtual async Task<int> Price(string what)
        {
            counts.Price++;
            await Task.Yield();
            if (counts.FailPrice > 0)
            {
                counts.FailPrice--;
                throw new TimeoutException("the price service is slow");
            }

            return what.Length;
        }

        [Step]
        public virtual Task<string> Check(string what)
        {
            counts.Check++;
            throw new InvalidOperationException("no checker for " + what);
        }
    }

    [SetUp]
    public void Open()
    {
        if (kind == "sqlite")
        {
            _folder = Path.Combine(Path.GetTempPath(), "agentsteps-replay-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_folder);
            _journal = new SqliteRunJournal(Path.Combine(_folder, "runs.db"));
        }
        else
        {
            _journal = new InMemoryRunJournal();
        }
    }

    [TearDown]
    public void Close()
    {
        (_journal as IDisposable)?.Dispose();
        if (_folder is not null)
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(_folder, recursive: true);
        }
    }

    /// <summary>A new process would open the journal again: the SQLite file is reopened, the in-memory journal kept.</summary>
    private void Reopen()
    {
        if (_journal is SqliteRunJournal sqlite)
        {
            sqlite.Dispose();
            _journal = new SqliteRunJournal(Path.Combine(_folder!, "runs.db"));
        }
    }

    private RuntimeOptions Options(IChatClient client, string runId) => new() { ChatClient = client, Journal = _journal, RunId = runId };

    private static ScriptedChatClient Model() => new("""{"Text":"museum"}""");

    private string RunTrip(IChatClient client, string runId, Counts counts, string city = "Paris", Action<Runtime>? inspect = null)
    {
        using var runtime = new Runtime(Options(client, runId));
        try
        {
            return Steps.Create<Trip>(counts).Plan(city).GetAwaiter().GetResult();
        }
        finally
        {
            inspect?.Invoke(runtime);
        }
    }

    [Test]
    public async Task Resume_FinishedRun_RunsNoBodyAndCallsNoModel()
    {
        var counts = new Counts();
        var client = Model();
        var first = RunTrip(client, "run-1", counts);
        Assert.That(first, Is.EqualTo("museum 6 unchecked (no checker for museum)"));
        Assert.That((await _journal.GetStepsAsync("run-1")).Keys, Is.EquivalentTo(new[] { "Plan:1", "Plan:1/Suggest:1", "Plan:1/Price:1", "Plan:1/Check:1" }));
        var run = await _journal.GetRunAsync("run-1");
        Assert.That(run!.Status, Is.EqualTo(RunStatus.Completed));
        Assert.That(run.RootStep, Is.EqualTo("Plan"));
        Assert.That(JObject.Parse(run.ArgumentsJson!)["city"]!.ToString(), Is.EqualTo("Paris"));
        Assert.That(Type.GetType(run.WorkflowType!), Is.EqualTo(typeof(Trip)));
        Reopen();

        IReadOnlyList<ExecutedStep> steps = [];
        string trace = "";
        var resumedClient = new ScriptedChatClient();
        var again = RunTrip(resumedClient, "run-1", counts, inspect: r => (steps, trace) = (r.ExecutedSteps, r.ToJson()));

        Assert.That(again, Is.EqualTo(first));
        Assert.That(resumedClient.Requests, Is.Empty);
        Assert.That((counts.Plan, counts.Price, counts.Check), Is.EqualTo((1, 1, 1)));
        Assert.That(steps.Single().Replayed, Is.True);
        Assert.That((bool?)JObject.Parse(trace)["steps"]![0]!["replayed"], Is.True);
        Assert.That(steps.Single().ToString(), Does.Contain(", replayed)"));
        Assert.That((await _journal.GetRunAsync("run-1"))!.Status, Is.EqualTo(RunStatus.Completed));
    }

    [Test]
    public async Task Resume_RunThatFailedMidway_ReplaysFinishedStepsAndRunsTheFailedOneAgain()
    {
        var counts = new Counts { FailPrice = 1 };
        var client = Model();
        Assert.Throws<TimeoutException>(() => RunTrip(client, "run-2", counts));
        Assert.That((await _journal.GetRunAsync("run-2"))!.Status, Is.EqualTo(RunStatus.Failed));
        Assert.That((await _journal.GetStepsAsync("run-2"))["Plan:1/Price:1"].ExceptionType, Is.EqualTo("System.TimeoutException"));
        Reopen();

        IReadOnlyList<ExecutedStep> steps = [];
        var resumedClient = new ScriptedChatClient();
        var result = RunTrip(resumedClient, "run-2", counts, inspect: r => steps = r.ExecutedSteps);

        Assert.That(result, Is.EqualTo("museum 6 unchecked (no checker for museum)"));
        Assert.That(resumedClient.Requests, Is.Empty, "the model step finished in the first run and replays");
        Assert.That(client.Requests, Has.Count.EqualTo(1));
        Assert.That((counts.Plan, counts.Price, counts.Check), Is.EqualTo((2, 2, 1)));
        var replayed = steps.ToDictionary(s => s.Name, s => s.Replayed);
        Assert.That(replayed, Is.EqualTo(new Dictionary<string, bool> { ["Suggest"] = true, ["Price"] = false, ["Check"] = false, ["Plan"] = false }));
        Assert.That((await _journal.GetRunAsync("run-2"))!.Status, Is.EqualTo(RunStatus.Completed));
        Assert.That((await _journal.GetStepsAsync("run-2"))["Plan:1/Price:1"].Failed, Is.False);
    }

    [Test]
    public async Task Resume_CaughtFailure_ReplaysAsTheSameExceptionTypeAndMessage()
    {
        var counts = new Counts();
        RunTrip(Model(), "run-3", counts);

        // The root is made to run again (a new version), so the caught failure of its child replays inside it.
        var steps = await _journal.GetStepsAsync("run-3");
        await _journal.CommitStepAsync("run-3", steps["Plan:1"] with { Version = "older" });
        Reopen();

        IReadOnlyList<ExecutedStep> executed = [];
        var result = RunTrip(new ScriptedChatClient(), "run-3", counts, inspect: r => executed = r.ExecutedSteps);

        Assert.That(result, Is.EqualTo("museum 6 unchecked (no checker for museum)"));
        Assert.That(counts.Check, Is.EqualTo(1), "the check's body did not run again");
        var check = executed.Single(s => s.Name == "Check");
        Assert.That(check.Replayed, Is.True);
        Assert.That(check.Exception, Is.TypeOf<InvalidOperationException>().With.Message.EqualTo("no checker for museum"));
    }

    [Test]
    public async Task Resume_OtherArgumentsAtAKey_ThrowsReplayDivergence()
    {
        var counts = new Counts();
        RunTrip(Model(), "run-4", counts);
        Reopen();

        var e = Assert.Throws<ReplayDivergenceException>(() => RunTrip(new ScriptedChatClient(), "run-4", counts, city: "Rome"))!;

        Assert.That(e.Key, Is.EqualTo("Plan:1"));
        Assert.That(e.RunId, Is.EqualTo("run-4"));
        Assert.That(e.JournaledStep, Is.EqualTo("ReplayTests.Trip.Plan").Or.EndsWith("Trip.Plan"));
        Assert.That(e.CurrentArgumentsJson, Does.Contain("Rome"));
        Assert.That(e.Message, Does.Contain("Plan:1").And.Contain("Rome"));
        Assert.That(counts.Plan, Is.EqualTo(1));
        Assert.That((await _journal.GetStepsAsync("run-4"))["Plan:1"].Failed, Is.False, "a divergence is not journaled");
    }

    [Test]
    public async Task Resume_ChangedVersion_RunsTheStepAgainAndJournalsItsNewResult()
    {
        var counts = new Counts();
        var client = Model();
        RunTrip(client, "run-5", counts);
        var steps = await _journal.GetStepsAsync("run-5");
        await _journal.CommitStepAsync("run-5", steps["Plan:1"] with { Version = "older" });
        await _journal.CommitStepAsync("run-5", steps["Plan:1/Suggest:1"] with { Version = "older" });
        Reopen();

        var resumedClient = new ScriptedChatClient("""{"Text":"museum"}""");
        var result = RunTrip(resumedClient, "run-5", counts);

        Assert.That(resumedClient.Requests, Has.Count.EqualTo(1), "the model step of a new version runs again");
        Assert.That(result, Is.EqualTo("museum 6 unchecked (no checker for museum)"));
        Assert.That((counts.Plan, counts.Price, counts.Check), Is.EqualTo((2, 1, 1)), "the steps of the same version replay");
        var now = await _journal.GetStepsAsync("run-5");
        Assert.That(now["Plan:1/Suggest:1"].Version, Is.Not.EqualTo("older"));
        Assert.That(now["Plan:1/Suggest:1"].ModelCalls, Is.EqualTo(1));
        Assert.That(now["Plan:1"].Version, Is.Not.EqualTo("older"));
    }

    [Test]
    public async Task Resume_ChangedVersionWithANewResult_LaterStepsCalledWithItDiverge()
    {
        // Today's rule, kept strict: a re-run step whose new result changes a later journaled call's arguments is a divergence.
        var counts = new Counts();
        RunTrip(Model(), "run-6", counts);
        var steps = await _journal.GetStepsAsync("run-6");
        await _journal.CommitStepAsync("run-6", steps["Plan:1"] with { Version = "older" });
        await _journal.CommitStepAsync("run-6", steps["Plan:1/Suggest:1"] with { Version = "older" });
        Reopen();

        var e = Assert.Throws<ReplayDivergenceException>(() => RunTrip(new ScriptedChatClient("""{"Text":"opera"}"""), "run-6", counts))!;

        Assert.That(e.Key, Is.EqualTo("Plan:1/Price:1"));
        Assert.That((await _journal.GetStepsAsync("run-6"))["Plan:1/Suggest:1"].ResultJson, Does.Contain("opera"), "the new result was journaled");
    }

    [Test]
    public void StepVersion_DependsOnTheBody_AndIsStable()
    {
        var workflow = AgentSteps.Inspection.WorkflowInspector.Inspect(typeof(Trip));
        var price = workflow.Find(typeof(Trip).GetMethod(nameof(Trip.Price))!)!;
        var check = workflow.Find(typeof(Trip).GetMethod(nameof(Trip.Check))!)!;

        Assert.That(price.JournalVersion, Is.EqualTo(AgentSteps.Pipeline.StepVersion.Compute(price)));
        Assert.That(price.JournalVersion, Is.Not.EqualTo(check.JournalVersion));

        // An async step's code is in its state machine: it is part of the version, not only the stub that starts it.
        var method = typeof(Trip).GetMethod(nameof(Trip.Price))!;
        Assert.That(AgentSteps.Pipeline.StepVersion.BodyIL(method)!.Length, Is.GreaterThan(method.GetMethodBody()!.GetILAsByteArray()!.Length));
    }

    [Test]
    public async Task Journal_RunId_IsInTheTraceAndTheJournal()
    {
        using (var runtime = new Runtime(Options(Model(), "order-42")))
        {
            await Steps.Create<Trip>(new Counts()).Plan("Paris");
            Assert.That(runtime.RunId, Is.EqualTo("order-42"));
            var trace = JObject.Parse(runtime.ToJson());
            Assert.That((string?)trace["runId"], Is.EqualTo("order-42"));
            Assert.That(trace["steps"]![0]!["replayed"], Is.Null, "only replayed steps say so");
        }

        Assert.That(await _journal.GetRunAsync("order-42"), Is.Not.Null);
    }
}

public sealed class RunIdTests
{
    [Test]
    public void RuntimeWithoutRunId_GetsANewHexId()
    {
        using var a = new Runtime(new ScriptedChatClient());
        using var b = new Runtime(new ScriptedChatClient());

        Assert.That(a.RunId, Does.Match("^[0-9a-f]{32}$"));
        Assert.That(a.RunId, Is.Not.EqualTo(b.RunId));
    }

    [TestCase("")]
    [TestCase("   ")]
    [TestCase("a\nb")]
    public void RunId_Invalid_Throws(string id) =>
        Assert.Throws<ArgumentException>(() => _ = new RuntimeOptions { RunId = id });

    [Test]
    public void RunId_TooLong_Throws() =>
        Assert.Throws<ArgumentException>(() => _ = new RuntimeOptions { RunId = new string('x', RuntimeOptions.MaxRunIdLength + 1) });

    [Test]
    public void NoJournal_StageNotComposed_NothingReplayed()
    {
        var plain = new RuntimeOptions { ChatClient = new ScriptedChatClient() }.Compile();
        var journaled = new RuntimeOptions { ChatClient = new ScriptedChatClient(), Journal = new InMemoryRunJournal() }.Compile();

        Assert.That(journaled.StageCount, Is.EqualTo(plain.StageCount + 1));
        Assert.That(plain.Journal, Is.Null);
        Assert.That(plain.MayAwaitBeforeBody, Is.False);

        var counts = new ReplayTests.Counts();
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = new ScriptedChatClient("""{"Text":"museum"}""") });
        Steps.Create<ReplayTests.Trip>(counts).Plan("Paris").GetAwaiter().GetResult();

        Assert.That(runtime.ExecutedSteps.Select(s => s.Replayed), Is.All.False);
        Assert.That(counts.Plan, Is.EqualTo(1));
    }
}

public sealed class ReplayShapesTests
{
    public sealed class CustomFailureException(string message) : Exception(message);

    public sealed class Tally
    {
        public int Calls { get; set; }
    }

    public abstract class Shapes(Tally tally)
    {
        [Step]
        public virtual int Twice(int value)
        {
            tally.Calls++;
            return value * 2;
        }

        [Step]
        public virtual async Task Touch(string what)
        {
            tally.Calls++;
            await Task.Yield();
        }

        [Step]
        public virtual int Root(int value)
        {
            Touch("x").GetAwaiter().GetResult();
            return Twice(value) + Twice(value + 1);
        }
    }

    [Test]
    public void Resume_SyncAndVoidSteps_Replay()
    {
        var journal = new InMemoryRunJournal();
        var tally = new Tally();
        int first;
        using (new Runtime(new RuntimeOptions { ChatClient = new ScriptedChatClient(), Journal = journal, RunId = "shapes" }))
        {
            first = Steps.Create<Shapes>(tally).Root(3);
        }

        Assert.That(first, Is.EqualTo(14));
        Assert.That(tally.Calls, Is.EqualTo(3));
        var steps = journal.GetStepsAsync("shapes").AsTask().GetAwaiter().GetResult();
        Assert.That(steps.Keys, Is.EquivalentTo(new[] { "Root:1", "Root:1/Touch:1", "Root:1/Twice:1", "Root:1/Twice:2" }));
        Assert.That(steps["Root:1/Touch:1"].ResultJson, Is.Null);
        journal.CommitStepAsync("shapes", steps["Root:1"] with { Version = "older" }).AsTask().GetAwaiter().GetResult();

        using var runtime = new Runtime(new RuntimeOptions { ChatClient = new ScriptedChatClient(), Journal = journal, RunId = "shapes" });
        Assert.That(Steps.Create<Shapes>(tally).Root(3), Is.EqualTo(14));
        Assert.That(tally.Calls, Is.EqualTo(3), "the children replayed");
        Assert.That(runtime.ExecutedSteps.Where(s => s.Name != "Root").Select(s => s.Replayed), Is.All.True);
    }

    [Test]
    public void Recreate_KeepsAgentStepsAndBaseLibraryTypes_WrapsOthers()
    {
        var timeout = AgentSteps.Pipeline.JournalStage.Recreate(typeof(TimeoutException).FullName!, "slow");
        var agent = AgentSteps.Pipeline.JournalStage.Recreate(typeof(AgentStepsException).FullName!, "agent");
        var custom = AgentSteps.Pipeline.JournalStage.Recreate(typeof(CustomFailureException).FullName!, "mine");
        var unknown = AgentSteps.Pipeline.JournalStage.Recreate("No.Such.Exception", "gone");

        Assert.That(timeout, Is.TypeOf<TimeoutException>().With.Message.EqualTo("slow"));
        Assert.That(agent, Is.TypeOf<AgentStepsException>().With.Message.EqualTo("agent"));
        Assert.That(custom, Is.TypeOf<InvalidOperationException>().With.Message.EqualTo(typeof(CustomFailureException).FullName + ": mine"));
        Assert.That(unknown, Is.TypeOf<InvalidOperationException>().With.Message.EqualTo("No.Such.Exception: gone"));
    }

    [Test]
    public void Resume_JournaledResultThatNoLongerReads_RunsTheStepAgain()
    {
        var journal = new InMemoryRunJournal();
        var tally = new Tally();
        using (new Runtime(new RuntimeOptions { ChatClient = new ScriptedChatClient(), Journal = journal, RunId = "bad" }))
        {
            Steps.Create<Shapes>(tally).Twice(2);
        }

        var step = journal.GetStepsAsync("bad").AsTask().GetAwaiter().GetResult()["Twice:1"];
        journal.CommitStepAsync("bad", step with { ResultJson = "\"not a number\"" }).AsTask().GetAwaiter().GetResult();

        using var runtime = new Runtime(new RuntimeOptions { ChatClient = new ScriptedChatClient(), Journal = journal, RunId = "bad" });
        Assert.That(Steps.Create<Shapes>(tally).Twice(2), Is.EqualTo(4));
        Assert.That(tally.Calls, Is.EqualTo(2));
    }
}

public sealed class ReplayConcurrencyTests
{
    public sealed record Answer(string Text);

    public sealed class Tally
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public void Add() => Interlocked.Increment(ref _calls);
    }

    public abstract class Fan(Tally tally)
    {
        [Step]
        public virtual async Task<int> Square(int value)
        {
            tally.Add();
            await Task.Yield();
            return value * value;
        }

        [Step]
        public virtual async Task<int> Sum(int count)
        {
            var squares = await Task.WhenAll(Enumerable.Range(1, count).Select(Square));
            return squares.Sum();
        }

        [Step]
        public virtual string Lookup(string word)
        {
            tally.Add();
            return word.ToUpperInvariant();
        }

        [Step(Model = "m", Tools = [nameof(Lookup)])]
        public abstract Task<Answer> Ask(string question);
    }

    [Test]
    public async Task Resume_ParallelSteps_AllCommittedAndReplayed()
    {
        var journal = new InMemoryRunJournal();
        var tally = new Tally();
        using (new Runtime(new RuntimeOptions { ChatClient = new ScriptedChatClient(), Journal = journal, RunId = "fan" }))
        {
            Assert.That(await Steps.Create<Fan>(tally).Sum(20), Is.EqualTo(2870));
        }

        var steps = await journal.GetStepsAsync("fan");
        Assert.That(steps, Has.Count.EqualTo(21));
        await journal.CommitStepAsync("fan", steps["Sum:1"] with { Version = "older" });

        using var runtime = new Runtime(new RuntimeOptions { ChatClient = new ScriptedChatClient(), Journal = journal, RunId = "fan" });
        Assert.That(await Steps.Create<Fan>(tally).Sum(20), Is.EqualTo(2870));
        Assert.That(tally.Calls, Is.EqualTo(20), "every square replayed");
        Assert.That(runtime.ExecutedSteps.Count(s => s.Replayed), Is.EqualTo(20));
    }

    [Test]
    public async Task Journal_StepsCalledAsTools_AreNotJournaledOnTheirOwn_TheirLlmStepReplays()
    {
        var journal = new InMemoryRunJournal();
        var tally = new Tally();
        var client = new ScriptedChatClient().EnqueueToolCall(nameof(Fan.Lookup), """{"word":"tea"}""").Enqueue("""{"Text":"TEA"}""");
        using (new Runtime(new RuntimeOptions { ChatClient = client, Journal = journal, RunId = "tools" }))
        {
            Assert.That((await Steps.Create<Fan>(tally).Ask("what?")).Text, Is.EqualTo("TEA"));
        }

        Assert.That((await journal.GetStepsAsync("tools")).Keys, Is.EqualTo(new[] { "Ask:1" }));
        Assert.That(tally.Calls, Is.EqualTo(1));

        var resumed = new ScriptedChatClient();
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = resumed, Journal = journal, RunId = "tools" });
        Assert.That((await Steps.Create<Fan>(tally).Ask("what?")).Text, Is.EqualTo("TEA"));
        Assert.That(resumed.Requests, Is.Empty);
        Assert.That(tally.Calls, Is.EqualTo(1));
    }
}
