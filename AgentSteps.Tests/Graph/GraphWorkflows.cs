namespace AgentSteps.Tests.GraphWorkflows;

public record Draft(string Text);

public abstract class Constructs
{
    [Step(Model = "m")]
    public abstract Draft Write(string topic);

    [Step(Model = "m")]
    public abstract Draft Polish(Draft draft);

    [Step(Model = "m")]
    public abstract bool Check(Draft draft);

    [Step(Model = "m")]
    public abstract Task<Draft> WriteAsync(string topic);

    [Step(Model = "m")]
    public abstract Task<Draft> PolishAsync(Draft draft);

    [Step]
    public virtual void Log(string message)
    {
    }

    [Step]
    public virtual Draft Sequence(string topic) => Polish(Write(topic));

    [Step]
    public virtual async Task<Draft> Async(string topic)
    {
        var draft = await WriteAsync(topic);
        var polished = await PolishAsync(draft);
        if (topic.Length > 3)
        {
            Log("long");
        }

        return polished;
    }

    [Step]
    public virtual Draft Ternary(string topic) => topic.Length > 3 ? Write(topic) : Polish(new Draft(topic));

    [Step]
    public virtual bool AndAlso(string topic) => Check(Write(topic)) && Check(Polish(new Draft(topic)));

    [Step]
    public virtual string Pattern(object value) => value switch
    {
        string s => Write(s).Text,
        Draft { Text.Length: > 0 } d => Polish(d).Text,
        _ => "none",
    };

    [Step]
    public virtual Draft Switch(int kind)
    {
        Log("start");
        switch (kind)
        {
            case 0:
                return Write("zero");
            case 1:
                return Polish(new Draft("one"));
            default:
                return Write("many");
        }
    }

    [Step]
    public virtual int Loops(string[] topics)
    {
        int count = 0;
        foreach (var topic in topics)
        {
            Write(topic);
            count++;
        }

        do
        {
            Log("at least once");
            count--;
        }
        while (count > 0);

        return count;
    }

    [Step]
    public virtual Draft TryFinally(string topic)
    {
        try
        {
            return Write(topic);
        }
        catch (InvalidOperationException)
        {
            Log("failed");
            throw;
        }
        finally
        {
            Log("done");
        }
    }

    [Step]
    public virtual List<Draft> Lambda(string[] topics) => topics.Select(t => Write(t)).ToList();

    [Step]
    public virtual Draft LocalFunction(string topic)
    {
        return Twice(Write(topic));

        Draft Twice(Draft draft) => Polish(Polish(draft));
    }

    [Step]
    public virtual async Task<Draft> AsyncLambda(string topic)
    {
        Func<Task<Draft>> later = async () => await PolishAsync(await WriteAsync(topic));
        return await later();
    }

    [Step]
    public virtual async Task<Draft> AsyncTryFinally(string topic)
    {
        try
        {
            return await WriteAsync(topic);
        }
        finally
        {
            Log("done");
        }
    }

    [Step]
    public virtual T Generic<T>(T value)
    {
        Log("generic");
        return value;
    }

    [Step]
    public virtual string CallsGeneric(string topic) => Generic(topic) + Generic(1);
}

public abstract class Cycle
{
    [Step(MaxLoops = 3)]
    public virtual int Ping(int n) => n <= 0 ? 0 : Pong(n - 1);

    [Step]
    public virtual int Pong(int n) => Ping(n - 1) + 1;
}

public abstract class BaseWorkflow
{
    [Step(Model = "m")]
    public abstract Draft Write(string topic);

    [Step]
    public virtual Draft Run(string topic) => Review(Write(topic));

    [Step]
    public virtual Draft Review(Draft draft) => draft;
}

public abstract class DerivedWorkflow : BaseWorkflow
{
    [Step]
    public override Draft Review(Draft draft) => Helper.Summarise(draft);

    [Step]
    public virtual Draft Start(string topic) => Run(topic);

    public Summaries Helper { get; set; } = null!;
}

public abstract class UsesOther
{
    public Constructs Other { get; set; } = null!;

    [Step]
    public virtual Draft Delegate(string topic) => Other.Sequence(topic);
}

public abstract class Summaries
{
    [Step(Model = "m")]
    public abstract Draft Summarise(Draft draft);
}

public class NotAWorkflow
{
    public virtual void Run()
    {
    }
}
