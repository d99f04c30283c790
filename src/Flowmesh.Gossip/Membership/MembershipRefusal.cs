namespace Flowmesh.Gossip.Membership;

/// <summary>Why a membership message (or part of one) was refused; each reason has its own counter (issue 16).</summary>
public enum MembershipRefusal
{
    /// <summary>An Alive or Leave without its subject's signature where signatures are required.</summary>
    UnsignedClaim,
    /// <summary>The subject's credential was refused (reason in <see cref="MembershipClaims.CredentialRefusals"/>).</summary>
    CredentialRefused,
    /// <summary>The claim's signature is not its subject's: another key holder speaking for that node.</summary>
    BadSignature,
    /// <summary>Suspect or Dead at an incarnation the subject never signed: only a node issues its own incarnations.</summary>
    AccusationAboveIncarnation,
    /// <summary>A claim that would raise an incarnation by more than <see cref="MembershipOptions.MaxIncarnationJump"/> at once.</summary>
    IncarnationJump,
    /// <summary>Our incarnation is at uint.MaxValue: refuting would overflow, so the node cannot refute any more (a new name is needed).</summary>
    IncarnationExhausted,
    /// <summary>An ack or nack whose sequence matched but whose sender was not the node we asked (target or helper).</summary>
    UnexpectedAckSender,
}
