namespace AgentSteps.Examples.Kitchen;

/// <summary>How the kitchen example answers the approval of a grocery order.</summary>
public enum ApprovalMode
{
    /// <summary>Ask at the console (y/n); deny, with a note, when there is no console to ask at.</summary>
    Ask,

    /// <summary>Approve every order (<c>--approve</c>).</summary>
    Approve,

    /// <summary>Deny every order (<c>--deny</c>).</summary>
    Deny,
}
