using BenchmarkDotNet.Attributes;
using Flowmesh.Core.Dns;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Benchmarks;

/// <summary>
/// The DNS host-context source's costs: decoding one query and one response, one whole transaction through the
/// monitor (both packets, tracker and cache), and what attaching the monitor costs a non-DNS packet on the flow path
/// (it must be the meter's own cost: one null check and a port compare).
/// </summary>
[MemoryDiagnoser]
public class DnsBenchmarks
{
    private const int Batch = 1024;
    private readonly DnsMessage _message = new();
    private byte[] _query = [];
    private byte[] _response = [];
    private byte[] _queryFrame = [];
    private byte[] _responseFrame = [];
    private byte[] _webFrame = [];
    private FlowMeter _plain = null!;
    private FlowMeter _withDns = null!;
    private long _clock = 1_700_000_000_000_000;
    private ushort _id;

    [GlobalSetup]
    public void Setup()
    {
        // www.example.com A: three answers whose owner names point back at the question.
        _query = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, (byte)'w', (byte)'w', (byte)'w', 7, (byte)'e', (byte)'x', (byte)'a', (byte)'m', (byte)'p', (byte)'l', (byte)'e', 3, (byte)'c', (byte)'o', (byte)'m', 0, 0, 1, 0, 1];
        var response = new List<byte>(_query);
        response[2] = 0x81;
        response[3] = 0x80;
        response[7] = 3;
        for (int i = 0; i < 3; i++) response.AddRange([0xC0, 12, 0, 1, 0, 1, 0, 0, 0x0E, 0x10, 0, 4, 192, 0, 2, (byte)(10 + i)]);
        _response = [.. response];
        _queryFrame = Udp(0x0A000002, 0x0A000001, 40000, 53, _query);
        _responseFrame = Udp(0x0A000001, 0x0A000002, 53, 40000, _response);
        _webFrame = Udp(0x0A000002, 0xC0000280, 40001, 443, new byte[32]);
        _plain = new FlowMeter(new FlowTableOptions(), _ => { });
        _withDns = new FlowMeter(new FlowTableOptions(), _ => { }) { DnsMonitor = new DnsTrafficMonitor() };
        if (DnsMessageDecoder.Decode(_response, _message) != DnsMalformation.None || _message.Answers.Count != 3)
            throw new InvalidOperationException("benchmark response does not decode");
    }

    [Benchmark]
    public DnsMalformation DecodeQuery() => DnsMessageDecoder.Decode(_query, _message);

    [Benchmark]
    public DnsMalformation DecodeResponseWithThreeAnswers() => DnsMessageDecoder.Decode(_response, _message);

    /// <summary>Query and response through the meter and the monitor (a fresh id each time, so every one is tracked and answered).</summary>
    [Benchmark]
    public void TransactionThroughTheMonitor()
    {
        _id++;
        _queryFrame[42] = _responseFrame[42] = (byte)(_id >> 8);
        _queryFrame[43] = _responseFrame[43] = (byte)_id;
        _withDns.ObservePacket(LinkType.Ethernet, _clock, _queryFrame);
        _withDns.ObservePacket(LinkType.Ethernet, _clock + 500, _responseFrame);
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void NonDnsPacketWithoutMonitor()
    {
        for (int i = 0; i < Batch; i++) _plain.ObservePacket(LinkType.Ethernet, _clock, _webFrame);
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void NonDnsPacketWithMonitor()
    {
        for (int i = 0; i < Batch; i++) _withDns.ObservePacket(LinkType.Ethernet, _clock, _webFrame);
    }

    private static byte[] Udp(uint source, uint destination, ushort sourcePort, ushort destinationPort, byte[] payload)
    {
        int ipLength = 20 + 8 + payload.Length;
        var frame = new List<byte> { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00 };
        frame.AddRange([0x45, 0, (byte)(ipLength >> 8), (byte)ipLength, 0, 0, 0x40, 0, 64, 17, 0, 0]);
        frame.AddRange([(byte)(source >> 24), (byte)(source >> 16), (byte)(source >> 8), (byte)source]);
        frame.AddRange([(byte)(destination >> 24), (byte)(destination >> 16), (byte)(destination >> 8), (byte)destination]);
        frame.AddRange([(byte)(sourcePort >> 8), (byte)sourcePort, (byte)(destinationPort >> 8), (byte)destinationPort, (byte)((8 + payload.Length) >> 8), (byte)(8 + payload.Length), 0, 0]);
        frame.AddRange(payload);
        return [.. frame];
    }
}
