using Flowmesh.Agent.Metrics;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// Issue 16's refusal counters for /metrics (docs/metrics.md): membership's refusals, node credentials refused at each
/// stage, and the revocation list. Each credential refusal is read where it was counted (the packet openers, the
/// membership claims, the record intake), never from the verifier's own sum of all three, so none is counted twice.
/// </summary>
internal sealed partial class AgentReadModel
{
    /// <summary>The agent's enrolment (certificates, record intake, revocations); null only in tests that build a read model by hand.</summary>
    public Enrolment.AgentTrust? Trust { get; init; }

    private Dictionary<string, long> MembershipRefusals()
    {
        var refusals = Peer.MembershipCounters.Refusals;
        return Enum.GetValues<MembershipRefusal>().ToDictionary(r => MetricLabels.SnakeCase(r.ToString()), r => refusals[r], StringComparer.Ordinal);
    }

    private Dictionary<(string Stage, string Reason), long> CredentialRefusals()
    {
        var result = new Dictionary<(string, string), long>();
        Add("packet", Peer.DatagramCredentialRefusals, Peer.StreamCredentialRefusals);
        Add("membership", Peer.Claims.CredentialRefusals);
        Add("record", Trust?.Origins.CredentialRefusals);
        return result;

        void Add(string stage, params CredentialRefusalCounters?[] counters)
        {
            foreach (var reason in Enum.GetValues<CredentialRefusal>())
                if (reason != CredentialRefusal.None)
                    result[(stage, MetricLabels.SnakeCase(reason.ToString()))] = counters.Sum(c => c?[reason] ?? 0);
        }
    }

    private Dictionary<string, long> RevocationLists() => new(StringComparer.Ordinal)
    {
        ["received"] = Trust?.Revocations.ListsReceived ?? 0,
        ["learned"] = Trust?.Revocations.ListsLearned ?? 0,
        ["refused"] = Trust?.Credentials.Verifier.RevocationListsRefused ?? 0,
    };

    private RevocationList? RevocationsInForce => Trust?.Credentials.Verifier.Revocations;
}
