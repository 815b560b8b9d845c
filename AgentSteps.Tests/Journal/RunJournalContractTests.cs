namespace AgentSteps.Tests.Journal;

/// <summary>The <see cref="IRunJournal"/> contract, run against every journal.</summary>
public abstract class RunJournalContractTests
{
    private const string PersonSchema = """
        {
          "type": "object",
          "properties": { "name": { "type": "string" }, "age": { "type": "integer", "minimum": 0 } },
          "required": ["name", "age"],
          "additionalProperties": false
        }
        """;

    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.FromHours(2));

    protected IRunJournal Journal { get; private set; } = null!;

    protected abstract IRunJournal CreateJournal();

    protected virtual void DestroyJournal(IRunJournal journal)
    {
    }

    [SetUp]
    public void SetUpJournal() => Journal = CreateJournal();

    [TearDown]
    public void TearDownJournal() => DestroyJournal(Journal);

    protected static JournaledRun Run(string id, RunStatus status, DateTimeOffset createdAt) =>
        new(id, status, "Shop.OrderWorkflow, Shop", "OrderWorkflow.ProcessAsync", """{"order":42}""", createdAt, createdAt);

    protected static JournaledStep Step(string key, string? result = "\"ok\"") => new(
        key,
        "RecipeWorkflow.DraftRecipe",
        ArgumentHash: "a1b2",
        Version: "v1",
        ResultJson: result,
        ExceptionType: null,
        ExceptionMessage: null,
        InputTokens: 1234567890123,
        OutputTokens: 42,
        ModelCalls: 3,
        StartedAt: new DateTimeOffset(2025, 3, 1, 12, 0, 0, 123, TimeSpan.FromHours(-5)).AddTicks(4567),
        Duration: TimeSpan.FromTicks(12_345_678));

    [Test]
    public async Task GetRunAsync_UnknownRun_ReturnsNull() =>
        Assert.That(await Journal.GetRunAsync("nope"), Is.Null);

    [Test]
    public async Task SaveRunAsync_NewRun_RoundTripsAllFields()
    {
        var run = Run("r1", RunStatus.Running, T0) with { UpdatedAt = T0.AddMinutes(1).ToOffset(TimeSpan.FromHours(9)) };

        await Journal.SaveRunAsync(run);
        var loaded = await Journal.GetRunAsync("r1");

        Assert.That(loaded, Is.EqualTo(run));
        Assert.That(loaded!.CreatedAt.Offset, Is.EqualTo(run.CreatedAt.Offset));
        Assert.That(loaded.UpdatedAt.Offset, Is.EqualTo(TimeSpan.FromHours(9)));
    }

    [Test]
    public async Task SaveRunAsync_ExistingRun_UpdatesStatusAndRootButKeepsCreatedAt()
    {
        await Journal.SaveRunAsync(Run("r1", RunStatus.Running, T0) with { WorkflowType = null, RootStep = null, ArgumentsJson = null });

        var updated = new JournaledRun("r1", RunStatus.Completed, "W, A", "W.Root", "{}", T0.AddDays(1), T0.AddDays(1));
        await Journal.SaveRunAsync(updated);

        Assert.That(await Journal.GetRunAsync("r1"), Is.EqualTo(updated with { CreatedAt = T0 }));
    }

    [Test]
    public async Task ListRunsAsync_AllOrOneStatus_OldestFirst()
    {
        await Journal.SaveRunAsync(Run("late", RunStatus.Running, T0.AddHours(2)));
        await Journal.SaveRunAsync(Run("early", RunStatus.Running, T0));
        await Journal.SaveRunAsync(Run("done", RunStatus.Completed, T0.AddHours(1)));

        // Same instant, another offset: ordered by the instant, not by the local time.
        await Journal.SaveRunAsync(Run("middle", RunStatus.Suspended, T0.AddMinutes(30).ToOffset(TimeSpan.FromHours(-8))));

        var all = await Journal.ListRunsAsync();
        var running = await Journal.ListRunsAsync(RunStatus.Running);
        var failed = await Journal.ListRunsAsync(RunStatus.Failed);

        Assert.That(all.Select(run => run.RunId), Is.EqualTo(new[] { "early", "middle", "done", "late" }));
        Assert.That(running.Select(run => run.RunId), Is.EqualTo(new[] { "early", "late" }));
        Assert.That(failed, Is.Empty);
    }

    [Test]
    public async Task ListRunsAsync_StatusChanged_ListedUnderNewStatus()
    {
        await Journal.SaveRunAsync(Run("r1", RunStatus.Running, T0));
        await Journal.SaveRunAsync(Run("r1", RunStatus.Failed, T0.AddHours(5)));

        Assert.That(await Journal.ListRunsAsync(RunStatus.Running), Is.Empty);
        Assert.That((await Journal.ListRunsAsync(RunStatus.Failed)).Single().CreatedAt, Is.EqualTo(T0));
    }

    [Test]
    public async Task CommitStepAsync_Steps_RoundTripAllFields()
    {
        var ok = Step("Root:1/Draft:1");
        var failed = Step("Root:1/Draft:2", result: null) with
        {
            ExceptionType = "System.InvalidOperationException",
            ExceptionMessage = "Nope: \"quoted\" and ünïcode",
        };

        await Journal.CommitStepAsync("r1", ok);
        await Journal.CommitStepAsync("r1", failed);
        await Journal.CommitStepAsync("other", Step("Root:1/Draft:1", result: "1"));
        var steps = await Journal.GetStepsAsync("r1");

        Assert.That(steps, Has.Count.EqualTo(2));
        Assert.That(steps["Root:1/Draft:1"], Is.EqualTo(ok));
        Assert.That(steps["Root:1/Draft:1"].StartedAt.Offset, Is.EqualTo(ok.StartedAt.Offset));
        Assert.That(steps["Root:1/Draft:1"].StartedAt.Ticks, Is.EqualTo(ok.StartedAt.Ticks));
        Assert.That(steps["Root:1/Draft:1"].Duration, Is.EqualTo(TimeSpan.FromTicks(12_345_678)));
        Assert.That(steps["Root:1/Draft:2"], Is.EqualTo(failed));
        Assert.That(steps["Root:1/Draft:2"].Failed, Is.True);
    }

    [Test]
    public async Task CommitStepAsync_SameKey_ReplacesStep()
    {
        await Journal.CommitStepAsync("r1", Step("k"));
        var again = Step("k", result: "\"second\"") with { Version = "v2" };
        await Journal.CommitStepAsync("r1", again);

        var steps = await Journal.GetStepsAsync("r1");

        Assert.That(steps.Values, Is.EqualTo(new[] { again }));
    }

    [Test]
    public async Task GetStepsAsync_UnknownRun_ReturnsEmpty() =>
        Assert.That(await Journal.GetStepsAsync("nope"), Is.Empty);

    [Test]
    public async Task CommitStepAsync_FiftyConcurrentTasks_AllCommitted()
    {
        await Journal.SaveRunAsync(Run("r1", RunStatus.Running, T0));

        await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(async () =>
        {
            await Journal.CommitStepAsync("r1", Step($"Root:1/Branch:{i}", result: i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            await Journal.GetStepsAsync("r1");
        })));

        var steps = await Journal.GetStepsAsync("r1");
        Assert.That(steps.Keys, Is.EquivalentTo(Enumerable.Range(0, 50).Select(i => $"Root:1/Branch:{i}")));
        Assert.That(steps.Values.Select(step => step.ResultJson), Is.EquivalentTo(Enumerable.Range(0, 50).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
    }

    [Test]
    public async Task AddPendingAsync_Questions_ListedInOrderUnanswered()
    {
        await Journal.AddPendingAsync("r1", new PendingInput("b", "W.Approve", "Approve?", PersonSchema));
        await Journal.AddPendingAsync("r1", new PendingInput("a", "W.Name", "Your name?", null));

        var pending = await Journal.GetPendingAsync("r1");

        Assert.That(pending, Is.EqualTo(new[]
        {
            new PendingInput("b", "W.Approve", "Approve?", PersonSchema),
            new PendingInput("a", "W.Name", "Your name?", null),
        }));
        Assert.That(await Journal.GetPendingAsync("other"), Is.Empty);
        Assert.That(await Journal.GetAnswerAsync("r1", "b"), Is.Null);
    }

    [Test]
    public async Task AnswerAsync_ValidAnswer_StoredAndMarkedAnswered()
    {
        await Journal.AddPendingAsync("r1", new PendingInput("k", "W.Person", "Who?", PersonSchema));
        await Journal.AddPendingAsync("r1", new PendingInput("other", "W.Person", "Who else?", PersonSchema));

        await Journal.AnswerAsync("r1", "k", """{"name":"Ada","age":36}""");

        Assert.That(await Journal.GetAnswerAsync("r1", "k"), Is.EqualTo("""{"name":"Ada","age":36}"""));
        Assert.That(await Journal.GetAnswerAsync("r1", "other"), Is.Null);
        var pending = await Journal.GetPendingAsync("r1");
        Assert.That(pending.Select(request => (request.Key, request.Answered)), Is.EqualTo(new[] { ("k", true), ("other", false) }));
    }

    [Test]
    public async Task AnswerAsync_NoSchema_TextStoredAsGiven()
    {
        await Journal.AddPendingAsync("r1", new PendingInput("k", "W.Name", "Your name?", AnswerSchema: null));

        await Journal.AnswerAsync("r1", "k", "Ada, not JSON {");

        Assert.That(await Journal.GetAnswerAsync("r1", "k"), Is.EqualTo("Ada, not JSON {"));
    }

    [TestCase("{\"name\":\"Ada\",\"age\":36")]
    [TestCase("{'name':'Ada','age':36}")]
    [TestCase("{\"name\":\"Ada\",\"age\":36,}")]
    [TestCase("{\"name\":\"Ada\",\"age\":36} trailing")]
    [TestCase("{\"name\":\"Ada\",/* comment */\"age\":36}")]
    [TestCase("")]
    public async Task AnswerAsync_InvalidJson_ThrowsArgumentExceptionAndStoresNothing(string answer)
    {
        await Journal.AddPendingAsync("r1", new PendingInput("k", "W.Person", "Who?", PersonSchema));

        var error = Assert.ThrowsAsync<ArgumentException>(async () => await Journal.AnswerAsync("r1", "k", answer));

        Assert.That(error!.Message, Does.Contain("not valid JSON").And.Contain("'k'"));
        Assert.That(await Journal.GetAnswerAsync("r1", "k"), Is.Null);
        Assert.That((await Journal.GetPendingAsync("r1")).Single().Answered, Is.False);
    }

    [Test]
    public async Task AnswerAsync_TooDeep_ThrowsArgumentException()
    {
        await Journal.AddPendingAsync("r1", new PendingInput("k", "W.Any", "Anything?", "{}"));
        var deep = new string('[', 100) + new string(']', 100);

        Assert.ThrowsAsync<ArgumentException>(async () => await Journal.AnswerAsync("r1", "k", deep));
    }

    [Test]
    public async Task AnswerAsync_TooLarge_ThrowsArgumentException()
    {
        await Journal.AddPendingAsync("r1", new PendingInput("k", "W.Name", "Your name?", null));
        var huge = new string('x', (1024 * 1024) + 1);

        var error = Assert.ThrowsAsync<ArgumentException>(async () => await Journal.AnswerAsync("r1", "k", huge));

        Assert.That(error!.Message, Does.Contain("larger than"));
    }

    [Test]
    public async Task AnswerAsync_SchemaViolation_MessageListsErrors()
    {
        await Journal.AddPendingAsync("r1", new PendingInput("k", "W.Person", "Who?", PersonSchema));

        var error = Assert.ThrowsAsync<ArgumentException>(async () => await Journal.AnswerAsync("r1", "k", """{"age":-1,"extra":true}"""));

        Assert.That(error!.Message, Does.Contain("does not fit").And.Contain("PropertyRequired").And.Contain("#/name")
            .And.Contain("NumberTooSmall").And.Contain("NoAdditionalPropertiesAllowed"));
        Assert.That(await Journal.GetAnswerAsync("r1", "k"), Is.Null);
    }

    [Test]
    public async Task AnswerAsync_UnknownKey_ThrowsKeyNotFoundException()
    {
        await Journal.AddPendingAsync("r1", new PendingInput("k", "W.Person", "Who?", PersonSchema));

        Assert.ThrowsAsync<KeyNotFoundException>(async () => await Journal.AnswerAsync("r1", "nope", "{}"));
        Assert.ThrowsAsync<KeyNotFoundException>(async () => await Journal.AnswerAsync("other-run", "k", "{}"));
    }

    [Test]
    public async Task AddPendingAsync_SameKeyUnanswered_ReplacesQuestion()
    {
        await Journal.AddPendingAsync("r1", new PendingInput("k", "W.Person", "Old?", PersonSchema));
        await Journal.AddPendingAsync("r1", new PendingInput("k", "W.Person", "New?", null));

        Assert.That(await Journal.GetPendingAsync("r1"), Is.EqualTo(new[] { new PendingInput("k", "W.Person", "New?", null) }));
    }

    [Test]
    public async Task AddPendingAsync_SameKeyAnswered_KeepsAnswer()
    {
        await Journal.AddPendingAsync("r1", new PendingInput("k", "W.Name", "Name?", null));
        await Journal.AnswerAsync("r1", "k", "Ada");

        await Journal.AddPendingAsync("r1", new PendingInput("k", "W.Name", "Name?", null));

        Assert.That(await Journal.GetAnswerAsync("r1", "k"), Is.EqualTo("Ada"));
        Assert.That((await Journal.GetPendingAsync("r1")).Single().Answered, Is.True);
    }
}
