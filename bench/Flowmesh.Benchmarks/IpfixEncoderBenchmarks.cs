using BenchmarkDotNet.Attributes;
using Flowmesh.Core.Export;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Benchmarks;

/// <summary>
/// IPFIX encoding cost per flow (biflow and one-direction records, IPv4 and IPv6 mixed), messages handed to a sink
/// that discards them: the encoder's share of an export, without the socket and the pacing.
/// </summary>
[MemoryDiagnoser]
public class IpfixEncoderBenchmarks
{
    private const int Batch = 4096;
    private IpfixFlow[] _flows = null!;
    private IpfixEncoder _biflow = null!;
    private IpfixEncoder _uniflow = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(18);
        _flows = new IpfixFlow[Batch];
        for (int i = 0; i < Batch; i++)
        {
            IpAddress128 a = i % 4 == 0 ? new IpAddress128(0x20010DB8_00000000UL, (ulong)random.NextInt64()) : IpAddress128.FromIPv4((uint)random.Next());
            IpAddress128 b = i % 4 == 0 ? new IpAddress128(0x20010DB8_00010000UL, (ulong)random.NextInt64()) : IpAddress128.FromIPv4((uint)random.Next());
            _flows[i] = new IpfixFlow(IpProtocol.Tcp, a, (ushort)random.Next(1024, 65535), b, 443, 12, 2400, 10, 9000,
                1_700_000_000_000_000, 1_700_000_001_000_000, 0x1B, 0, 0, FlowEndReason.EndOfFlow);
        }
        _biflow = new IpfixEncoder(new IpfixEncoderOptions(), new DiscardingSink());
        _uniflow = new IpfixEncoder(new IpfixEncoderOptions { Biflow = false }, new DiscardingSink());
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void Biflow() => Encode(_biflow);

    [Benchmark(OperationsPerInvoke = Batch)]
    public void OneDirection() => Encode(_uniflow);

    private void Encode(IpfixEncoder encoder)
    {
        for (int i = 0; i < _flows.Length; i++) encoder.Add(in _flows[i], 1_700_000_002_000_000);
        encoder.Flush(1_700_000_002_000_000);
    }

    private sealed class DiscardingSink : IIpfixMessageSink
    {
        public void Send(ReadOnlySpan<byte> message, int dataRecords) { }
    }
}
