namespace Flowmesh.IntegrationTests.Cluster.Insider;

/// <summary>
/// One attack of issue 16's list, run by <see cref="LiveInsiderAttackTests"/> against real agents: one class per attack,
/// as in the loopback harness (tests/Flowmesh.Gossip.Tests/Insider). <see cref="Launch"/> sends; once the agents had
/// <see cref="Settle"/> to react, <see cref="Judge"/> says whether the attack was refused (no effect on what the agents
/// show) and counted (a counter the agents expose rose), with the evidence for the printed line.
/// </summary>
internal abstract class InsiderAttack
{
    public abstract string Name { get; }

    public virtual TimeSpan Settle => TimeSpan.FromSeconds(4);

    public abstract void Launch(InsiderTargets targets);

    public abstract (bool Refused, string Evidence) Judge(InsiderTargets targets);

    /// <summary>A counter's rise since the attack began, or null when the agents do not expose it (which fails the judgement).</summary>
    protected static long? Rise(long? before, long? after) => before is long b && after is long a ? a - b : null;

    protected static string Shown(long? rise) => rise?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(not in this build's /metrics)";
}
