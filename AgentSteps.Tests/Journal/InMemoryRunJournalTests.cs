namespace AgentSteps.Tests.Journal;

public sealed class InMemoryRunJournalTests : RunJournalContractTests
{
    protected override IRunJournal CreateJournal() => new InMemoryRunJournal();
}
