namespace AgentSteps.Tests.Budgets;

public class StepBudgetTests
{
    public static IEnumerable<TestCaseData> Limits()
    {
        // Each reply uses 10 input, 5 output and 15 total tokens and costs 0.02: every step limit allows exactly two calls.
        yield return new TestCaseData((Func<BudgetWorkflow, int>)(w => w.CallsCapped(3)), "BudgetWorkflow.CallsCapped", "MaxModelCalls", 2m, 2m).SetName("StepMaxModelCalls_StopsTheThirdCallInTheSubtree");
        yield return new TestCaseData((Func<BudgetWorkflow, int>)(w => w.InputCapped(3)), "BudgetWorkflow.InputCapped", "MaxInputTokens", 20m, 20m).SetName("StepMaxInputTokens_StopsTheThirdCallInTheSubtree");
        yield return new TestCaseData((Func<BudgetWorkflow, int>)(w => w.OutputCapped(3)), "BudgetWorkflow.OutputCapped", "MaxSubtreeOutputTokens", 10m, 10m).SetName("StepMaxSubtreeOutputTokens_StopsTheThirdCallInTheSubtree");
        yield return new TestCaseData((Func<BudgetWorkflow, int>)(w => w.TotalCapped(3)), "BudgetWorkflow.TotalCapped", "MaxTotalTokens", 30m, 30m).SetName("StepMaxTotalTokens_StopsTheThirdCallInTheSubtree");
        yield return new TestCaseData((Func<BudgetWorkflow, int>)(w => w.CostCapped(3)), "BudgetWorkflow.CostCapped", "MaxCost", 0.04m, 0.04m).SetName("StepMaxCost_StopsTheThirdCallInTheSubtree");
    }

    [TestCaseSource(nameof(Limits))]
    public void StepLimit_Reached_NextCallInItsSubtreeIsNotMade(Func<BudgetWorkflow, int> run, string budgetStep, string limit, decimal value, decimal used)
    {
        var client = BudgetTestClient.WithReplies();
        var options = new RuntimeOptions { ChatClient = client };
        options.Prices["gpt-4o-mini"] = BudgetTestClient.Price;
        using var runtime = new Runtime(options);

        var e = Assert.Throws<BudgetExceededException>(() => run(Steps.Create<BudgetWorkflow>()));

        var refused = runtime.ExecutedSteps.Last(s => s.Name == nameof(BudgetWorkflow.Ask));
        var capped = runtime.ExecutedSteps.Single(s => s.Name == budgetStep.Split('.')[1]);
        Assert.Multiple(() =>
        {
            Assert.That(client.Requests, Has.Count.EqualTo(2));
            Assert.That(e!.BudgetStepName, Is.EqualTo(budgetStep));
            Assert.That(e.StepName, Is.EqualTo("BudgetWorkflow.Ask"));
            Assert.That(e.Limit, Is.EqualTo(limit));
            Assert.That(e.LimitValue, Is.EqualTo(value));
            Assert.That(e.Used, Is.EqualTo(used));
            Assert.That(refused.Exception, Is.SameAs(e));
            Assert.That(capped.Exception, Is.SameAs(e));
        });
    }

    [Test]
    public void StepBudget_AppliesPerCallOfTheStep()
    {
        var client = BudgetTestClient.WithReplies();
        using var runtime = new Runtime(client);
        var workflow = Steps.Create<BudgetWorkflow>();

        workflow.CallsCapped(2);
        workflow.CallsCapped(2);

        Assert.That(client.Requests, Has.Count.EqualTo(4));
    }

    [Test]
    public void StepBudget_LeavesCallsOutsideItsSubtreeAlone()
    {
        var client = BudgetTestClient.WithReplies();
        using var runtime = new Runtime(client);
        var workflow = Steps.Create<BudgetWorkflow>();

        Assert.Throws<BudgetExceededException>(() => workflow.CallsCapped(3));
        workflow.AskEach(3);

        Assert.That(client.Requests, Has.Count.EqualTo(5));
    }

    [Test]
    public void StepBudget_Message_NamesTheBudgetedStepAndTheAttribute()
    {
        using var runtime = new Runtime(BudgetTestClient.WithReplies());

        var e = Assert.Throws<BudgetExceededException>(() => Steps.Create<BudgetWorkflow>().CallsCapped(3));

        Assert.That(e!.Message, Is.EqualTo(
            "LLM step 'BudgetWorkflow.Ask' made no model call: the budget of step 'BudgetWorkflow.CallsCapped' for its whole subtree is spent (MaxModelCalls = 2, used 2). " +
            "Raise MaxModelCalls on the [Step] attribute of 'BudgetWorkflow.CallsCapped', or have it ask the model for less."));
    }

    [Test]
    public void StepAndRunBudgets_TheFirstReachedStops()
    {
        var client = BudgetTestClient.WithReplies();
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = client, Budget = new RunBudget { MaxModelCalls = 1 } });

        var e = Assert.Throws<BudgetExceededException>(() => Steps.Create<BudgetWorkflow>().CallsCapped(3));

        Assert.Multiple(() =>
        {
            Assert.That(client.Requests, Has.Count.EqualTo(1));
            Assert.That(e!.BudgetStepName, Is.Null);
            Assert.That(runtime.Usage.ModelCalls, Is.EqualTo(1), "a call refused by one budget is not counted by another");
        });
    }

    [Test]
    public void StepMaxCost_ModelWithoutPrice_CallIsRefused()
    {
        var client = BudgetTestClient.WithReplies();
        using var runtime = new Runtime(client);

        var e = Assert.Throws<InvalidOperationException>(() => Steps.Create<BudgetWorkflow>().CostCapped(1));

        Assert.That(client.Requests, Is.Empty);
        Assert.That(e!.Message, Does.Contain("the [Step] attribute of 'BudgetWorkflow.CostCapped'"));
    }

    [Test]
    public void Attribute_RejectsNonsense()
    {
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = new StepAttribute { MaxModelCalls = -1 });
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = new StepAttribute { MaxInputTokens = -1 });
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = new StepAttribute { MaxSubtreeOutputTokens = -1 });
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = new StepAttribute { MaxTotalTokens = -1 });
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = new StepAttribute { MaxCost = -0.01 });
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = new StepAttribute { MaxCost = double.NaN });
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = new StepAttribute { MaxCost = double.PositiveInfinity });
        });
    }
}
