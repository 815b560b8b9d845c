namespace AgentSteps.Tests.Budgets;

public class RunBudgetTests
{
    private static Runtime Open(IChatClient client, RunBudget budget, Action<RuntimeOptions>? configure = null)
    {
        var options = new RuntimeOptions { ChatClient = client, Budget = budget };
        configure?.Invoke(options);
        return new Runtime(options);
    }

    public static IEnumerable<TestCaseData> Limits()
    {
        // Each reply uses 10 input, 5 output and 15 total tokens and costs 0.02: every limit allows exactly two calls.
        yield return new TestCaseData(new RunBudget { MaxModelCalls = 2 }, "MaxModelCalls", 2m, 2m).SetName("MaxModelCalls_StopsTheThirdCall");
        yield return new TestCaseData(new RunBudget { MaxInputTokens = 20 }, "MaxInputTokens", 20m, 20m).SetName("MaxInputTokens_StopsTheThirdCall");
        yield return new TestCaseData(new RunBudget { MaxOutputTokens = 10 }, "MaxOutputTokens", 10m, 10m).SetName("MaxOutputTokens_StopsTheThirdCall");
        yield return new TestCaseData(new RunBudget { MaxTotalTokens = 30 }, "MaxTotalTokens", 30m, 30m).SetName("MaxTotalTokens_StopsTheThirdCall");
        yield return new TestCaseData(new RunBudget { MaxCost = 0.04m }, "MaxCost", 0.04m, 0.04m).SetName("MaxCost_StopsTheThirdCall");
    }

    [TestCaseSource(nameof(Limits))]
    public void RunLimit_Reached_NextCallIsNotMade(RunBudget budget, string limit, decimal value, decimal used)
    {
        var client = BudgetTestClient.WithReplies();
        using var runtime = Open(client, budget, o => o.Prices["gpt-4o-mini"] = BudgetTestClient.Price);
        var workflow = Steps.Create<BudgetWorkflow>();

        var e = Assert.Throws<BudgetExceededException>(() => workflow.AskEach(5));

        Assert.Multiple(() =>
        {
            Assert.That(client.Requests, Has.Count.EqualTo(2));
            Assert.That(e!.Limit, Is.EqualTo(limit));
            Assert.That(e.LimitValue, Is.EqualTo(value));
            Assert.That(e.Used, Is.EqualTo(used));
            Assert.That(e.StepName, Is.EqualTo("BudgetWorkflow.Ask"));
            Assert.That(e.BudgetStepName, Is.Null);
            Assert.That(runtime.Usage.ModelCalls, Is.EqualTo(2));
        });
    }

    [Test]
    public void TokenLimit_PassedByOneCall_NextCallIsNotMade()
    {
        // 20 total tokens: the second call starts at 15 and is allowed; it ends the run at 30, past the limit.
        var client = BudgetTestClient.WithReplies();
        using var runtime = Open(client, new RunBudget { MaxTotalTokens = 20 });

        var e = Assert.Throws<BudgetExceededException>(() => Steps.Create<BudgetWorkflow>().AskEach(5));

        Assert.Multiple(() =>
        {
            Assert.That(client.Requests, Has.Count.EqualTo(2));
            Assert.That(e!.Used, Is.EqualTo(30m));
            Assert.That(runtime.Usage.TotalTokens, Is.EqualTo(30));
        });
    }

    [Test]
    public void ZeroModelCalls_NoCallIsMade()
    {
        var client = BudgetTestClient.WithReplies();
        using var runtime = Open(client, new RunBudget { MaxModelCalls = 0 });

        Assert.Throws<BudgetExceededException>(() => Steps.Create<BudgetWorkflow>().Ask("anything"));
        Assert.That(client.Requests, Is.Empty);
    }

    [Test]
    public void Exceeded_IsRecordedOnTheRefusedStepAndItsCallers()
    {
        var client = BudgetTestClient.WithReplies();
        using var runtime = Open(client, new RunBudget { MaxModelCalls = 1 });

        var e = Assert.Throws<BudgetExceededException>(() => Steps.Create<BudgetWorkflow>().AskEach(2));

        var asks = runtime.ExecutedSteps.Where(s => s.Name == nameof(BudgetWorkflow.Ask)).ToList();
        var root = runtime.ExecutedSteps.Single(s => s.Name == nameof(BudgetWorkflow.AskEach));
        Assert.Multiple(() =>
        {
            Assert.That(asks, Has.Count.EqualTo(2));
            Assert.That(asks[0].Succeeded, Is.True);
            Assert.That(asks[1].Exception, Is.SameAs(e));
            Assert.That(asks[1].ModelCalls, Is.Zero, "the refused call was not made");
            Assert.That(root.Exception, Is.SameAs(e));
        });
    }

    [Test]
    public void Message_NamesTheStepTheLimitItsValueWhatWasUsedAndTheFix()
    {
        var client = BudgetTestClient.WithReplies();
        using var runtime = Open(client, new RunBudget { MaxTotalTokens = 30 });

        var e = Assert.Throws<BudgetExceededException>(() => Steps.Create<BudgetWorkflow>().AskEach(3));

        Assert.That(e!.Message, Is.EqualTo(
            "LLM step 'BudgetWorkflow.Ask' made no model call: the run's budget is spent (MaxTotalTokens = 30, used 30). " +
            "Raise RuntimeOptions.Budget.MaxTotalTokens, or have the workflow ask the model for less."));
        Assert.That(e, Is.InstanceOf<AgentStepsException>());
    }

    [Test]
    public void Corrections_CountAsCalls()
    {
        // The first reply does not parse; the correction would be the second call, which the budget refuses.
        var client = new ScriptedChatClient().Enqueue(_ => BudgetTestClient.Reply("not json")).Enqueue(_ => BudgetTestClient.Reply("""{"Answer":"yes"}"""));
        using var runtime = Open(client, new RunBudget { MaxModelCalls = 1 });

        var e = Assert.Throws<BudgetExceededException>(() => Steps.Create<BudgetWorkflow>().Judge("42"));

        Assert.Multiple(() =>
        {
            Assert.That(client.Requests, Has.Count.EqualTo(1));
            Assert.That(e!.StepName, Is.EqualTo("BudgetWorkflow.Judge"));
            Assert.That(runtime.ExecutedSteps.Single().Exception, Is.SameAs(e));
        });
    }

    [Test]
    public void Corrections_CountTokens()
    {
        var client = new ScriptedChatClient().Enqueue(_ => BudgetTestClient.Reply("not json")).Enqueue(_ => BudgetTestClient.Reply("""{"Answer":"yes"}"""));
        using var runtime = Open(client, new RunBudget { MaxOutputTokens = 5 });

        Assert.Throws<BudgetExceededException>(() => Steps.Create<BudgetWorkflow>().Judge("42"));
        Assert.That(client.Requests, Has.Count.EqualTo(1));
    }

    [Test]
    public void ToolRounds_CountAsCalls()
    {
        // The first reply calls a tool; sending its result back would be the second call.
        var client = new ScriptedChatClient()
            .Enqueue(_ => new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("call-1", nameof(BudgetWorkflow.LookUp), new Dictionary<string, object?> { ["topic"] = "tea" })]))
            {
                FinishReason = ChatFinishReason.ToolCalls,
                Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5, TotalTokenCount = 15 },
            })
            .Enqueue(_ => BudgetTestClient.Reply("tea is good"));
        using var runtime = Open(client, new RunBudget { MaxModelCalls = 1 });

        var e = Assert.Throws<BudgetExceededException>(() => Steps.Create<BudgetWorkflow>().Research("tea?"));

        var research = runtime.ExecutedSteps.Single(s => s.Name == nameof(BudgetWorkflow.Research));
        Assert.Multiple(() =>
        {
            Assert.That(client.Requests, Has.Count.EqualTo(1));
            Assert.That(research.Children.Select(c => c.Name), Is.EqualTo(new[] { nameof(BudgetWorkflow.LookUp) }), "the tool ran");
            Assert.That(research.Exception, Is.SameAs(e));
            Assert.That(runtime.Usage.ModelCalls, Is.EqualTo(1));
        });
    }

    [Test]
    public void FailedCall_CountsAsACall()
    {
        var client = new ScriptedChatClient().Enqueue(_ => throw new HttpRequestException("connection reset")).Enqueue(_ => BudgetTestClient.Reply());
        using var runtime = Open(client, new RunBudget { MaxModelCalls = 1 });
        var workflow = Steps.Create<BudgetWorkflow>();

        Assert.Throws<StepModelException>(() => workflow.Ask("first"));
        Assert.Throws<BudgetExceededException>(() => workflow.Ask("second"));

        Assert.Multiple(() =>
        {
            Assert.That(client.Requests, Has.Count.EqualTo(1));
            Assert.That(runtime.Usage.ModelCalls, Is.EqualTo(1));
            Assert.That(runtime.Usage.TotalTokens, Is.Zero);
        });
    }

    [Test]
    public void Budget_IsPerRun()
    {
        var client = BudgetTestClient.WithReplies();
        var options = new RuntimeOptions { ChatClient = client, Budget = new RunBudget { MaxModelCalls = 2 } };
        var workflow = Steps.Create<BudgetWorkflow>();

        using (new Runtime(options))
        {
            workflow.AskEach(2);
        }

        using (new Runtime(options))
        {
            workflow.AskEach(2);
        }

        Assert.That(client.Requests, Has.Count.EqualTo(4));
    }

    [Test]
    public void MaxCost_ModelWithoutPrice_CallIsRefusedWithTheFix()
    {
        var client = BudgetTestClient.WithReplies();
        using var runtime = Open(client, new RunBudget { MaxCost = 1m }, o => o.Prices["gpt-4o"] = BudgetTestClient.Price);

        var e = Assert.Throws<InvalidOperationException>(() => Steps.Create<BudgetWorkflow>().Ask("anything"));

        Assert.Multiple(() =>
        {
            Assert.That(client.Requests, Is.Empty);
            Assert.That(e!.Message, Does.Contain("'gpt-4o-mini', which has no price").And.Contain("RuntimeOptions.Budget").And.Contain("Add a price for 'gpt-4o-mini' to RuntimeOptions.Prices"));
        });
    }
}
