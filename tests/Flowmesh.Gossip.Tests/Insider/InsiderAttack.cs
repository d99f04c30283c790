using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Transport;

namespace Flowmesh.Gossip.Tests.Insider;

/// <summary>
/// One attack of issue 16's list, run by the harness (<see cref="InsiderAttackTests"/>) against a live cluster: one
/// class per attack, so the record-rules and certificate work can add theirs. <see cref="Launch"/> sends; after the
/// cluster had <see cref="Settle"/> to react, <see cref="Judge"/> says whether it was refused and counted, with the
/// evidence for the printed line.
/// </summary>
internal abstract class InsiderAttack
{
    public abstract string Name { get; }

    public virtual TimeSpan Settle => TimeSpan.FromSeconds(3);

    public abstract void Launch(InsiderCluster cluster);

    public abstract (bool Refused, string Evidence) Judge(InsiderCluster cluster);
}
