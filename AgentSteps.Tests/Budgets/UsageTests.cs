namespace AgentSteps.Tests.Budgets;

public class UsageTests
{
    [Test]
    public void Usage_TotalsEveryCallOfTheRun()
    {
        var options = new RuntimeOptions { ChatClient = BudgetTestClient.WithReplies() };
        options.Prices["gpt-4o-mini"] = BudgetTestClient.Price;
        using var runtime = new Runtime(options);

        Steps.Create<BudgetWorkflow>().AskEach(3);

        var usage = runtime.Usage;
        Assert.Multiple(() =>
        {
            Assert.That(usage.ModelCalls, Is.EqualTo(3));
            Assert.That(usage.InputTokens, Is.EqualTo(30));
            Assert.That(usage.OutputTokens, Is.EqualTo(15));
            Assert.That(usage.TotalTokens, Is.EqualTo(45));
            Assert.That(usage.Cost, Is.EqualTo(0.06m));
            Assert.That(usage.ModelsWithoutPrice, Is.Empty);
            Assert.That(usage.CallsWithoutUsage, Is.Zero);
            Assert.That(usage.IsCostComplete, Is.True);
        });
    }

    [Test]
    public void Usage_BeforeAnyCall_IsZero()
    {
        using var runtime = new Runtime(BudgetTestClient.WithReplies());

        var usage = runtime.Usage;

        Assert.That((usage.ModelCalls, usage.TotalTokens, usage.Cost, usage.ModelsWithoutPrice.Count), Is.EqualTo((0, 0L, 0m, 0)));
    }

    [Test]
    public void Cost_OfEachLlmStep_FromItsModelsPrice()
    {
        var options = new RuntimeOptions { ChatClient = BudgetTestClient.WithReplies() };
        options.Prices["gpt-4o-mini"] = BudgetTestClient.Price;
        using var runtime = new Runtime(options);

        Steps.Create<BudgetWorkflow>().AskEach(2);

        var asks = runtime.ExecutedSteps.Where(s => s.Name == nameof(BudgetWorkflow.Ask));
        var root = runtime.ExecutedSteps.Single(s => s.Name == nameof(BudgetWorkflow.AskEach));
        Assert.That(asks.Select(s => s.Cost), Is.EqualTo(new decimal?[] { 0.02m, 0.02m }));
        Assert.That(root.Cost, Is.Null, "a code step makes no model call of its own");
    }

    [Test]
    public void Cost_OfAStepWithCorrections_AddsEveryCall()
    {
        var client = new ScriptedChatClient().Enqueue(_ => BudgetTestClient.Reply("not json")).Enqueue(_ => BudgetTestClient.Reply("""{"Answer":"yes"}"""));
        var options = new RuntimeOptions { ChatClient = client };
        options.Prices["gpt-4o-mini"] = BudgetTestClient.Price;
        using var runtime = new Runtime(options);

        Steps.Create<BudgetWorkflow>().Judge("42");

        Assert.That(runtime.ExecutedSteps.Single().Cost, Is.EqualTo(0.04m));
    }

    [Test]
    public void ModelWithoutPrice_IsListed_AndItsStepsCostIsNull()
    {
        var options = new RuntimeOptions { ChatClient = BudgetTestClient.WithReplies() };
        options.Prices["gpt-4o-mini"] = BudgetTestClient.Price;
        using var runtime = new Runtime(options);
        var workflow = Steps.Create<BudgetWorkflow>();

        workflow.Ask("small");
        workflow.AskLarge("large");
        workflow.AskLarge("again");

        var usage = runtime.Usage;
        var large = runtime.ExecutedSteps.First(s => s.Name == nameof(BudgetWorkflow.AskLarge));
        Assert.Multiple(() =>
        {
            Assert.That(usage.ModelsWithoutPrice, Is.EqualTo(new[] { "gpt-4o" }));
            Assert.That(usage.Cost, Is.EqualTo(0.02m), "only the priced call");
            Assert.That(usage.TotalTokens, Is.EqualTo(45), "tokens count whatever the price");
            Assert.That(usage.IsCostComplete, Is.False);
            Assert.That(large.Cost, Is.Null);
            Assert.That(usage.ToString(), Does.Contain("no price for gpt-4o"));
        });
    }

    [Test]
    public void NoPrices_EveryModelIsListed_NeverASilentZero()
    {
        using var runtime = new Runtime(BudgetTestClient.WithReplies());

        Steps.Create<BudgetWorkflow>().AskEach(2);

        Assert.That(runtime.Usage.ModelsWithoutPrice, Is.EqualTo(new[] { "gpt-4o-mini" }));
        Assert.That(runtime.ExecutedSteps.Where(s => s.Name == nameof(BudgetWorkflow.Ask)).Select(s => s.Cost), Has.All.Null);
    }

    [Test]
    public void ReplyWithoutUsage_IsCounted_AndItsStepsCostIsNull()
    {
        var client = new ScriptedChatClient("no usage reported");
        var options = new RuntimeOptions { ChatClient = client };
        options.Prices["gpt-4o-mini"] = BudgetTestClient.Price;
        using var runtime = new Runtime(options);

        Steps.Create<BudgetWorkflow>().Ask("anything");

        Assert.Multiple(() =>
        {
            Assert.That(runtime.Usage.ModelCalls, Is.EqualTo(1));
            Assert.That(runtime.Usage.CallsWithoutUsage, Is.EqualTo(1));
            Assert.That(runtime.Usage.IsCostComplete, Is.False);
            Assert.That(runtime.ExecutedSteps.Single().Cost, Is.Null);
        });
    }

    [Test]
    public void Price_IsThatOfTheModelCalled_AfterAliases()
    {
        var client = BudgetTestClient.WithReplies();
        var options = new RuntimeOptions { ChatClient = client };
        options.ModelAliases["gpt-4o-mini"] = "llama3.2";
        options.Prices["gpt-4o-mini"] = new ModelPrice(1_000_000m, 1_000_000m); // not the model called
        options.Prices["llama3.2"] = BudgetTestClient.Price;
        using var runtime = new Runtime(options);

        Steps.Create<BudgetWorkflow>().Ask("anything");

        Assert.That(client.Requests.Single().Options!.ModelId, Is.EqualTo("llama3.2"));
        Assert.That(runtime.Usage.Cost, Is.EqualTo(0.02m));
        Assert.That(runtime.ExecutedSteps.Single().Cost, Is.EqualTo(0.02m));
    }

    [Test]
    public void CachedInputTokens_CostTheirOwnPrice()
    {
        var client = new ScriptedChatClient().Enqueue(_ => new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok"))
        {
            Usage = new UsageDetails { InputTokenCount = 1000, CachedInputTokenCount = 800, OutputTokenCount = 100 },
        });
        var options = new RuntimeOptions { ChatClient = client };
        options.Prices["gpt-4o-mini"] = new ModelPrice(InputPerMillion: 1m, OutputPerMillion: 4m) { CachedInputPerMillion = 0.5m };
        using var runtime = new Runtime(options);

        Steps.Create<BudgetWorkflow>().Ask("anything");

        // 200 × 1 + 800 × 0.5 + 100 × 4, per million; no total reported: input plus output.
        Assert.That(runtime.Usage.Cost, Is.EqualTo(0.001m));
        Assert.That(runtime.Usage.TotalTokens, Is.EqualTo(1100));
    }

    [Test]
    public void StepUsage_IsTheStepsOwnCalls()
    {
        using var runtime = new Runtime(BudgetTestClient.WithReplies());

        Steps.Create<BudgetWorkflow>().AskEach(2);

        var ask = runtime.ExecutedSteps.First(s => s.Name == nameof(BudgetWorkflow.Ask));
        Assert.That((ask.Usage!.InputTokenCount, ask.Usage.OutputTokenCount, ask.ModelCalls), Is.EqualTo((10L, 5L, 1)));
    }

    [Test]
    public void Options_BudgetAndPrices_FreezeWithTheOptions()
    {
        var options = new RuntimeOptions { ChatClient = BudgetTestClient.WithReplies() };
        using var runtime = new Runtime(options);

        Assert.Multiple(() =>
        {
            Assert.Throws<InvalidOperationException>(() => options.Budget = new RunBudget { MaxModelCalls = 1 });
            Assert.Throws<InvalidOperationException>(() => options.Prices["gpt-4o-mini"] = BudgetTestClient.Price);
            Assert.That(options.Prices.IsReadOnly, Is.True);
        });
    }

    [Test]
    public void Options_NullPrice_IsRejected()
    {
        var options = new RuntimeOptions { ChatClient = BudgetTestClient.WithReplies() };
        options.Prices["gpt-4o-mini"] = null!;

        Assert.Throws<ArgumentNullException>(() => new Runtime(options).Dispose());
    }

    [Test]
    public void RunBudget_RejectsNegativeLimits()
    {
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = new RunBudget { MaxModelCalls = -1 });
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = new RunBudget { MaxInputTokens = -1 });
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = new RunBudget { MaxOutputTokens = -1 });
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = new RunBudget { MaxTotalTokens = -1 });
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = new RunBudget { MaxCost = -0.01m });
        });
    }
}
