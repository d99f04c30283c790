using BenchmarkDotNet.Attributes;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Benchmarks;

/// <summary>
/// What signing every gossip datagram with the sender's node key costs (issue 16): seal and open of a typical
/// 300-byte membership payload, unsigned (version 1, the cluster key only) against signed (version 2: ECDSA P-256
/// sign on seal, verify on open, the credential verified once and cached). Opening needs a fresh sequence number per
/// packet (the replay guard refuses repeats), so each open benchmark opens a batch sealed in setup.
/// </summary>
[MemoryDiagnoser]
public class SignedPacketBenchmarks
{
    private const int Batch = 512;
    private static readonly NodeId Sender = new("pc-042");
    private readonly byte[] _payload = new byte[300];
    private readonly Keyring _keyring = new(ClusterKey.Generate());
    private NodeIdentity _identity = null!;
    private PacketSealer _unsigned = null!, _signed = null!;
    private byte[][] _unsignedBatch = [], _signedBatch = [];

    [GlobalSetup]
    public void Setup()
    {
        _identity = NodeIdentity.Generate();
        _unsigned = new PacketSealer(_keyring, Sender);
        _signed = new PacketSealer(_keyring, Sender, signer: FirstUseCredentialVerifier.CredentialOf(Sender, _identity));
        _unsignedBatch = [.. Enumerable.Range(0, Batch).Select(_ => _unsigned.Seal(_payload))];
        _signedBatch = [.. Enumerable.Range(0, Batch).Select(_ => _signed.Seal(_payload))];
    }

    [GlobalCleanup]
    public void Cleanup() => _identity.Dispose();

    [Benchmark(Baseline = true)]
    public byte[] SealUnsigned() => _unsigned.Seal(_payload);

    [Benchmark]
    public byte[] SealSigned() => _signed.Seal(_payload);

    [Benchmark(OperationsPerInvoke = Batch)]
    public int OpenUnsigned()
    {
        var opener = new PacketOpener(_keyring);
        var opened = 0;
        foreach (var p in _unsignedBatch) if (opener.Open(p) is not null) opened++;
        return opened;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int OpenSigned()
    {
        var opener = new PacketOpener(_keyring, signers: new VerifiedCredentials(new FirstUseCredentialVerifier()));
        var opened = 0;
        foreach (var p in _signedBatch) if (opener.Open(p) is not null) opened++;
        return opened;
    }
}
