namespace Flowmesh.Gossip.Security;

/// <summary>Counts of refused credentials, one per <see cref="CredentialRefusal"/> (None stays 0). Thread-safe.</summary>
public sealed class CredentialRefusalCounters : ReasonCounters<CredentialRefusal>;
