namespace Flowmesh.Gossip.Security;

/// <summary>Credentials refused, one counter per <see cref="CredentialRefusal"/> (None stays 0).</summary>
public sealed class CredentialRefusalCounters : ReasonCounters<CredentialRefusal>;
