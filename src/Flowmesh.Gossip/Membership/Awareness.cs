namespace Flowmesh.Gossip.Membership;

/// <summary>
/// Lifeguard's local health score. Missed nacks and having to refute accusations are signs that this node, not
/// its peers, is slow (CPU starved, Wi-Fi dozing); the score then stretches probe interval and timeout so a sick
/// node stops accusing healthy ones. Successful probes pull it back toward 0.
/// </summary>
public sealed class Awareness(int maxMultiplier)
{
    private readonly int _max = Math.Max(1, maxMultiplier);

    /// <summary>0 is healthy; at most maxMultiplier − 1.</summary>
    public int Score { get; private set; }

    public void ApplyDelta(int delta) => Score = Math.Clamp(Score + delta, 0, _max - 1);

    public TimeSpan Scale(TimeSpan timeout) => timeout * (Score + 1);
}
