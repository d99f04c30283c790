using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Flowmesh.Agent.Enrolment;
using Flowmesh.Agent.Hosting;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Sketches;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;
using Flowmesh.Gossip.Transport;

namespace Flowmesh.IntegrationTests.Cluster.Insider;

/// <summary>
/// The enrolled insider of issue 16, "mallory", in the test process on the bridge's root-namespace address: it holds
/// the cluster key file every agent reads and a valid certificate of its own from the cluster's authority (`flowmesh
/// enroll`, as the agents were), gossips over UDP as a peer does, and pushes records over the gossip TCP port as a
/// peer's anti-entropy session does. It may also sign in other names, which is what the attacks try. A test helper,
/// never a shipped command.
/// </summary>
internal sealed class ClusterInsider : IDisposable
{
    public static readonly NodeId Name = new("mallory");

    private readonly Keyring _keyring;
    private readonly Socket _udp;
    private readonly PacketSealer _asSelf;
    private readonly TcpGossipStreams _streams;
    private readonly CertificateCredentialVerifier _verifier;
    private readonly AgentCluster _cluster;

    private ClusterInsider(AgentCluster cluster, NodeBundle bundle, ClusterKeySet keys, IPAddress bind)
    {
        _cluster = cluster;
        Bundle = bundle;
        SketchKey = keys.SketchKey;
        _keyring = ClusterKeyReload.KeyringOf(keys);
        _verifier = new CertificateCredentialVerifier(bundle.AuthorityPublicKey, AgentCredentials.ClockSkew);
        var self = new NodeCredential(Name, bundle.Identity, bundle.Certificate.Encode());
        _udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _udp.Bind(new IPEndPoint(bind, 0));
        _asSelf = new PacketSealer(_keyring, Name, signer: self);
        _streams = new TcpGossipStreams(Name, _keyring, credential: self, signers: new VerifiedCredentials(_verifier));
    }

    /// <summary>Enrols mallory with the cluster's authority and binds it to <see cref="ClusterNetwork.Subnet"/>.254.</summary>
    public static ClusterInsider Enrol(AgentCluster cluster)
    {
        string bundleFile = cluster.WorkFile(Name.Value + ".bundle");
        AgentCluster.RunOperatorCommand(["enroll", "--ca", cluster.WorkFile("ca"), "--name", Name.Value, "--days", "2", "--out", bundleFile]);
        var keys = ClusterKeySet.Parse(File.ReadAllText(cluster.KeyFile));
        return new ClusterInsider(cluster, NodeBundle.Read(bundleFile), keys, IPAddress.Parse(ClusterNetwork.Subnet + ".254"));
    }

    public NodeBundle Bundle { get; }

    public SketchHashKey SketchKey { get; }

    public GossipAddress Address => GossipEndpoint.ToAddress((IPEndPoint)_udp.LocalEndPoint!);

    public static GossipAddress GossipAddressOf(int node) =>
        new($"{ClusterNetwork.Address(node)}:{AgentCluster.GossipPort.ToString(CultureInfo.InvariantCulture)}");

    private static IPEndPoint Endpoint(int node) => new(IPAddress.Parse(ClusterNetwork.Address(node)), AgentCluster.GossipPort);

    /// <summary>Membership messages in one datagram signed as mallory: the transport accepts it, membership must judge each message.</summary>
    public void Send(int node, params GossipMessage[] messages) => _udp.SendTo(_asSelf.Seal(MessageCodec.EncodePacket(messages)), Endpoint(node));

    /// <summary>A datagram under <paramref name="victim"/>'s name with any sequence, signed with mallory's key and carrying <paramref name="credential"/>.</summary>
    public void SendAs(NodeId victim, byte[] credential, ulong sequence, int node, params GossipMessage[] messages)
    {
        var sealer = new PacketSealer(_keyring, victim, firstSequence: sequence, signer: new NodeCredential(victim, Bundle.Identity, credential));
        _udp.SendTo(sealer.Seal(MessageCodec.EncodePacket(messages)), Endpoint(node));
    }

    /// <summary>Mallory's key and certificate signing claims in <paramref name="victim"/>'s name.</summary>
    public MembershipClaims ClaimsAs(NodeId victim) =>
        new(new NodeCredential(victim, Bundle.Identity, Bundle.Certificate.Encode()), new VerifiedCredentials(_verifier));

    /// <summary>Agent <paramref name="node"/>'s certificate: public, it travels in every packet the agent sends.</summary>
    public byte[] CertificateOf(int node) => NodeBundle.Read(_cluster.BundleFile(node)).Certificate.Encode();

    /// <summary>
    /// One anti-entropy exchange with agent <paramref name="node"/> that pushes <paramref name="envelopes"/> and wants
    /// nothing, as a peer's replicator sends it. True when the agent answered (it answers whatever it made of the pushes).
    /// </summary>
    public bool Push(int node, IReadOnlyList<byte[]> envelopes)
    {
        var request = SyncCodec.Encode(new ExchangeRequest([], envelopes));
        return _streams.RequestAsync(GossipAddressOf(node), GossipStreamKind.RecordSync, request, CancellationToken.None).GetAwaiter().GetResult() is not null;
    }

    /// <summary>A real epoch record of mallory's (or <paramref name="id"/>'s origin): <paramref name="flows"/> IPv6 TCP flows, deterministic.</summary>
    public EpochRecord Record(EpochId id, int flows = 40, EpochSummaryOptions? options = null)
    {
        var summary = new EpochSummary(id, SketchKey, options);
        var random = new Random((int)(id.StartMicros / 1000 % int.MaxValue) ^ flows);
        for (var i = 0; i < flows; i++)
        {
            var source = new IpAddress128(0x2001_0db8_0000_0000UL | (uint)random.Next(), (ulong)random.NextInt64());
            var destination = new IpAddress128(0x2001_0db8_8000_0000UL | (uint)random.Next(), (ulong)random.NextInt64());
            summary.Add(new FlowTableDelta(IpProtocol.Tcp, source, (ushort)random.Next(1024, 65535), destination, 443,
                random.Next(1, 50), random.Next(100, 20_000), random.Next(1, 80), random.Next(100, 100_000), true, id.StartMicros, id.StartMicros));
        }
        return summary.Seal();
    }

    /// <summary>Mallory's own record, signed and certified as an agent seals it.</summary>
    public byte[] Sealed(EpochRecord record) => new RecordSealer(Bundle.Identity, Name, Bundle.Certificate).Seal(record).SignedEnvelope;

    /// <summary>A record in a name mallory holds no certificate for, with its bare key (the first-use envelope, version 1).</summary>
    public byte[] Uncertified(EpochRecord record) => SignedRecord.Create(Bundle.Identity, new NodeId(record.Id.Origin), record.Encode()).Encode();

    /// <summary>
    /// A certified envelope (version 2) built byte by byte, as a hostile peer would: the record's origin with mallory's
    /// own certificate, signed by mallory's key over exactly these bytes (the layout of SignedRecord's documentation).
    /// SignedRecord.Create refuses to build it, which is the point.
    /// </summary>
    public byte[] WithOwnCertificate(EpochRecord record)
    {
        var origin = Encoding.UTF8.GetBytes(record.Id.Origin);
        var certificate = Bundle.Certificate.Encode();
        var bytes = record.Encode();
        var body = new List<byte> { SignedRecord.CertifiedVersion, (byte)origin.Length };
        body.AddRange(origin);
        var length = new byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)certificate.Length);
        body.AddRange(length[..2]);
        body.AddRange(certificate);
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        body.AddRange(length);
        body.AddRange(bytes);
        using var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(Bundle.Identity.ExportPkcs8(), out _);
        var hash = SHA256.HashData([.. "flowmesh/signed-record/v1\0"u8.ToArray(), .. body]);
        body.AddRange(key.SignHash(hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        return [.. body];
    }

    public void Dispose()
    {
        _streams.Dispose();
        _udp.Dispose();
        Bundle.Identity.Dispose();
    }
}
