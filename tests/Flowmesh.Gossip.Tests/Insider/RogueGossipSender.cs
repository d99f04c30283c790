using System.Net;
using System.Net.Sockets;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Tests.Insider;

/// <summary>
/// An enrolled insider: holds the cluster key and a node key of its own ("mallory"), sends from its own UDP socket on
/// loopback, and may sign packets under another node's name. A test helper, never a shipped command.
/// </summary>
internal sealed class RogueGossipSender : IDisposable
{
    private readonly Keyring _keyring;
    private readonly Socket _socket;
    private readonly PacketSealer _asSelf;

    public RogueGossipSender(Keyring keyring, IPAddress bind)
    {
        _keyring = keyring;
        Key = NodeIdentity.Generate();
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(bind, 0));
        _asSelf = new PacketSealer(keyring, Id, signer: FirstUseCredentialVerifier.CredentialOf(Id, Key));
    }

    public NodeId Id { get; } = new("mallory");
    public NodeIdentity Key { get; }
    public GossipAddress Address => Flowmesh.Gossip.Transport.GossipEndpoint.ToAddress((IPEndPoint)_socket.LocalEndPoint!);

    /// <summary>Membership messages in a packet signed as mallory: the transport accepts it, membership must judge it.</summary>
    public void Send(IPEndPoint to, params GossipMessage[] messages) => _socket.SendTo(_asSelf.Seal(MessageCodec.EncodePacket(messages)), to);

    /// <summary>A packet under <paramref name="victim"/>'s name with any sequence, signed with mallory's key and the given credential.</summary>
    public void SendAs(NodeId victim, byte[] credential, ulong sequence, IPEndPoint to, params GossipMessage[] messages)
    {
        var sealer = new PacketSealer(_keyring, victim, firstSequence: sequence, signer: new NodeCredential(victim, Key, credential));
        _socket.SendTo(sealer.Seal(MessageCodec.EncodePacket(messages)), to);
    }

    /// <summary>Mallory's key signing claims in <paramref name="victim"/>'s name.</summary>
    public MembershipClaims ClaimsAs(NodeId victim) =>
        MembershipClaims.FirstUse(victim, Key, new VerifiedCredentials(new FirstUseCredentialVerifier()));

    public void Dispose()
    {
        _socket.Dispose();
        Key.Dispose();
    }
}
