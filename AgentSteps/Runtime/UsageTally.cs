using AgentSteps.Pipeline;
using Microsoft.Extensions.AI;

namespace AgentSteps;

/// <summary>
/// The usage counted against one budget: the run's (which <see cref="Runtime.Usage"/> reads), or a budgeted step's whole
/// subtree. Parallel steps add to it from several threads; one lock per model call keeps each check and count atomic.
/// </summary>
internal sealed class UsageTally
{
    private readonly Lock _gate = new();
    private int _calls;
    private long _input;
    private long _output;
    private long _total;
    private decimal _cost;
    private int _callsWithoutUsage;
    private List<string>? _unpriced;

    /// <summary>
    /// Counts a call about to be made, unless <paramref name="limits"/> is reached: then returns the limit reached, its
    /// value and what was used, and counts nothing.
    /// </summary>
    public (string Limit, decimal Value, decimal Used)? TryStartCall(BudgetLimits? limits)
    {
        lock (_gate)
        {
            if (limits is not null)
            {
                if (limits.ModelCalls is { } calls && _calls >= calls)
                {
                    return (nameof(RunBudget.MaxModelCalls), calls, _calls);
                }

                if (limits.InputTokens is { } input && _input >= input)
                {
                    return (nameof(RunBudget.MaxInputTokens), input, _input);
                }

                if (limits.OutputTokens is { } output && _output >= output)
                {
                    return (limits.OutputTokensName, output, _output);
                }

                if (limits.TotalTokens is { } total && _total >= total)
                {
                    return (nameof(RunBudget.MaxTotalTokens), total, _total);
                }

                if (limits.Cost is { } cost && _cost >= cost)
                {
                    return (nameof(RunBudget.MaxCost), cost, _cost);
                }
            }

            _calls++;
            return null;
        }
    }

    /// <summary>Takes back a call counted by <see cref="TryStartCall"/> that another budget then refused.</summary>
    public void CancelCall()
    {
        lock (_gate)
        {
            _calls--;
        }
    }

    /// <summary>Counts a retry the client made on its own, which no budget can stop once the call is under way.</summary>
    public void CountRetry()
    {
        lock (_gate)
        {
            _calls++;
        }
    }

    /// <summary>Adds one reply's usage and cost (<see langword="null"/> when its model has no price).</summary>
    public void Add(UsageDetails? usage, decimal? cost)
    {
        lock (_gate)
        {
            if (usage is null)
            {
                _callsWithoutUsage++;
                return;
            }

            long input = usage.InputTokenCount ?? 0, output = usage.OutputTokenCount ?? 0;
            _input += input;
            _output += output;
            _total += usage.TotalTokenCount ?? input + output;
            _cost += cost ?? 0;
        }
    }

    /// <summary>Notes a model called without a price.</summary>
    public void AddUnpriced(string model)
    {
        lock (_gate)
        {
            _unpriced ??= [];
            if (!_unpriced.Contains(model))
            {
                _unpriced.Add(model);
            }
        }
    }

    public RunUsage Snapshot()
    {
        lock (_gate)
        {
            return new RunUsage(_calls, _input, _output, _total, _cost, _unpriced is null ? [] : _unpriced.ToArray(), _callsWithoutUsage);
        }
    }
}
