namespace Flowmesh.Gossip.Security;

/// <summary>
/// The last check of record intake: is this validly signed record really its origin's? Implementations: certified
/// origins (<see cref="CertifiedOrigins"/>, what the agent uses) and first-use binding (<see cref="TrustedOrigins"/>,
/// kept for the simulators and the transition). Never throws; a refusal is counted in <see cref="Rejections"/>.
/// </summary>
public interface IOriginTrust
{
    RecordRejectCounters Rejections { get; }

    bool TryAccept(SignedRecord record, out RecordRejection rejection);
}
