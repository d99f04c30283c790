namespace Flowmesh.Gossip.Membership;

/// <summary>
/// Lifeguard's local-health-aware suspicion. The timeout starts at <c>max</c> so a single accuser (who may itself be
/// the sick one) cannot kill a healthy node quickly, and shrinks toward <c>min</c> as independent accusers confirm:
/// <c>max − log(n+1)/log(k+1) · (max − min)</c>, reaching <c>min</c> at k confirmations.
/// </summary>
public sealed class Suspicion
{
    private readonly HashSet<NodeId> _accusers = [];

    public Suspicion(NodeId firstAccuser, int expectedConfirmations, TimeSpan min, TimeSpan max, TimeSpan start)
    {
        _accusers.Add(firstAccuser);
        ExpectedConfirmations = Math.Max(0, expectedConfirmations);
        Min = min;
        Max = max;
        Start = start;
    }

    public int ExpectedConfirmations { get; }
    public TimeSpan Min { get; }
    public TimeSpan Max { get; }
    public TimeSpan Start { get; }

    /// <summary>Accusers beyond the first.</summary>
    public int Confirmations => _accusers.Count - 1;

    public TimeSpan Deadline => Start + Timeout(Confirmations, ExpectedConfirmations, Min, Max);

    /// <summary>Counts an accuser once; returns whether it was new (only new confirmations are worth re-broadcasting).</summary>
    public bool Confirm(NodeId accuser) => Confirmations < ExpectedConfirmations && _accusers.Add(accuser);

    public static TimeSpan Timeout(int confirmations, int expected, TimeSpan min, TimeSpan max)
    {
        if (expected < 1) return min;
        var fraction = Math.Log(confirmations + 1) / Math.Log(expected + 1);
        var timeout = max - (max - min) * fraction;
        return timeout < min ? min : timeout;
    }
}
