using Flowmesh.Core.Views;
using Flowmesh.Gossip.Membership;

namespace Flowmesh.Agent.ViewSources;

/// <summary>
/// The expected origins of the view from membership: every member with its state, this node always alive. With
/// <c>joinedMicros</c>, an alive member is expected from when membership last saw it change state (it joined then, as
/// far as this node knows) and this node from <c>selfSinceMicros</c>; the view source moves that back to the origin's
/// oldest record when it holds one (RecordStoreViewSource).
/// </summary>
internal static class MembershipOrigins
{
    public static IReadOnlyList<ExpectedOrigin> Of(IEnumerable<Member> members, string self, Func<TimeSpan, long>? joinedMicros = null, long? selfSinceMicros = null)
    {
        var result = new List<ExpectedOrigin> { new(self, Core.Views.OriginLiveness.Alive) { SinceMicros = selfSinceMicros } };
        foreach (var m in members)
        {
            string name = m.Id.Value;
            if (name == self) continue; // this node is alive as long as it answers
            var state = m.State switch
            {
                Gossip.Membership.MemberState.Alive => Core.Views.OriginLiveness.Alive,
                Gossip.Membership.MemberState.Suspect => Core.Views.OriginLiveness.Suspect,
                Gossip.Membership.MemberState.Dead => Core.Views.OriginLiveness.Dead,
                _ => Core.Views.OriginLiveness.Left,
            };
            long? since = state == Core.Views.OriginLiveness.Alive && joinedMicros is not null ? joinedMicros(m.StateChangedAt) : null;
            result.Add(new ExpectedOrigin(name, state) { SinceMicros = since });
        }
        return result;
    }
}
