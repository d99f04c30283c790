using Flowmesh.Gossip;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;
using Flowmesh.Gossip.Transport;

namespace Flowmesh.Agent.Enrolment;

/// <summary>
/// The agent's side of issue 16 in one place: its certified credentials, record intake that accepts certified
/// origins only (no first-use binding of names), the sealer that puts its certificate on every own record, and the
/// revocation list's spreading. Counters for /metrics (Hosting/AgentReadModel.TrustMetrics.cs): <see cref="Origins"/>.Rejections
/// and .CredentialRefusals (records refused), the revocation list's serial and <see cref="RevocationSpreading"/>'s counts.
/// <see cref="CertificateCredentialVerifier.Refusals"/> sums every stage's credential refusals, so /metrics reads the stages instead.
/// </summary>
public sealed class AgentTrust
{
    private AgentTrust(AgentCredentials credentials, CertifiedOrigins origins, RevocationSpreading revocations)
    {
        Credentials = credentials;
        Origins = origins;
        Revocations = revocations;
    }

    public AgentCredentials Credentials { get; }
    public CertifiedOrigins Origins { get; }
    public RevocationSpreading Revocations { get; }

    /// <summary>Throws <see cref="EnrolmentException"/> with the operator's message when the node cannot be enrolled.</summary>
    /// <param name="dataDirectory">The agent's data directory (its own authority, saved revocation lists).</param>
    /// <param name="certificate">--certificate: a bundle from <c>flowmesh enroll</c>; null: self-enrolled by the local authority.</param>
    /// <param name="caCertificate">--ca-certificate: the authority to trust; null: the bundle's, or the local one.</param>
    internal static AgentTrust Start(string dataDirectory, string? certificate, string? caCertificate, NodeId self, NodeIdentity databaseIdentity, TimeProvider clusterTime, TextWriter log)
    {
        AgentCredentials credentials;
        try
        {
            credentials = AgentCredentials.Resolve(self, dataDirectory, certificate, caCertificate, databaseIdentity, log);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The host reports an enrolment failure as a start failure (a message and the agent's exit code).
            throw new EnrolmentException(e.Message, e);
        }
        var spreading = new RevocationSpreading(credentials.Verifier, dataDirectory, credentials.AuthorityDirectory, log);
        return new AgentTrust(credentials, new CertifiedOrigins(credentials.Verifier, clusterTime), spreading);
    }

    public RecordSealer Sealer() =>
        new(Credentials.Credential.Identity, Credentials.Credential.Node, Credentials.Certificate);

    /// <summary>Serves and runs the revocation push-pull on <paramref name="peer"/>.</summary>
    public Task Spread(GossipPeer peer, Func<IReadOnlyList<GossipAddress>> alivePeers, CancellationToken cancellationToken)
    {
        peer.Register(GossipStreamKind.Revocations, Revocations.HandleAsync);
        return Revocations.RunAsync(peer.Streams, alivePeers, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
    }
}
