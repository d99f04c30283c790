namespace Flowmesh.Gossip.Security;

/// <summary>
/// A verifier that binds a name to a key on first use learns of the binding only once a signature made with that key
/// verified (<see cref="VerifiedCredentials"/> calls <see cref="Confirm"/>): a credential alone, without a valid
/// signature, must not squat a name. Certificate verifiers have nothing to bind and do not implement it.
/// </summary>
public interface ICredentialBinding
{
    /// <summary>Binds <paramref name="node"/> to <paramref name="publicKey"/> if it is still unbound and there is room.</summary>
    void Confirm(NodeId node, byte[] publicKey);
}
