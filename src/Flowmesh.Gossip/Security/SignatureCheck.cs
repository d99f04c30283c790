namespace Flowmesh.Gossip.Security;

/// <summary>The outcome of checking a node's signature with the credential it presented.</summary>
public enum SignatureCheck
{
    Valid,
    /// <summary>The credential does not prove a key for that node (the verifier's reason says why).</summary>
    CredentialRefused,
    /// <summary>The credential is good but the signature was not made with its key over these bytes.</summary>
    BadSignature,
}
