namespace Flowmesh.Gossip.Security;

/// <summary>
/// Counts of dropped incoming packets, one per <see cref="GossipDropReason"/>, with a named property per reason.
/// </summary>
public sealed class GossipDropCounters : ReasonCounters<GossipDropReason>
{
    public long NotAuthenticated => this[GossipDropReason.NotAuthenticated];
    public long UnknownKey => this[GossipDropReason.UnknownKey];
    public long Replayed => this[GossipDropReason.Replayed];
    public long TooOld => this[GossipDropReason.TooOld];
    public long Malformed => this[GossipDropReason.Malformed];
    public long Oversized => this[GossipDropReason.Oversized];
    public long RateLimited => this[GossipDropReason.RateLimited];
    public long Unsigned => this[GossipDropReason.Unsigned];
    public long CredentialRefused => this[GossipDropReason.CredentialRefused];
    public long BadSignature => this[GossipDropReason.BadSignature];

    public override string ToString() =>
        $"not-authenticated {NotAuthenticated}, unknown-key {UnknownKey}, replayed {Replayed}, too-old {TooOld}, " +
        $"malformed {Malformed}, oversized {Oversized}, rate-limited {RateLimited}, unsigned {Unsigned}, credential-refused {CredentialRefused}, bad-signature {BadSignature}";
}
