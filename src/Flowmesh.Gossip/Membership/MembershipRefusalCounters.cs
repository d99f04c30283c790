namespace Flowmesh.Gossip.Membership;

/// <summary>Refused membership messages, one counter per <see cref="MembershipRefusal"/>.</summary>
public sealed class MembershipRefusalCounters : ReasonCounters<MembershipRefusal>
{
    public long UnsignedClaim => this[MembershipRefusal.UnsignedClaim];
    public long CredentialRefused => this[MembershipRefusal.CredentialRefused];
    public long BadSignature => this[MembershipRefusal.BadSignature];
    public long AccusationAboveIncarnation => this[MembershipRefusal.AccusationAboveIncarnation];
    public long IncarnationJump => this[MembershipRefusal.IncarnationJump];
    public long IncarnationExhausted => this[MembershipRefusal.IncarnationExhausted];
    public long UnexpectedAckSender => this[MembershipRefusal.UnexpectedAckSender];
}
