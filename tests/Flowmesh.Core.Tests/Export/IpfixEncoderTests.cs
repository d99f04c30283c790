using Flowmesh.Core.Export;
using Flowmesh.Core.Packets;
using Flowmesh.Tests.Shared;
using static Flowmesh.Core.Export.IpfixElement;

namespace Flowmesh.Core.Tests.Export;

/// <summary>
/// The encoder's messages read back by <see cref="IpfixTestDecoder"/>, a reader written from RFC 7011 alone: every
/// field as given, sequence numbers counting data records, templates first and on schedule, sizes within the limit.
/// (Real collectors, nfcapd and nfacctd, read the export in the integration tests.)
/// </summary>
public sealed class IpfixEncoderTests
{
    private const long Now = 1_700_000_000_000_000;

    private static IpfixFlow Flow(string source, ushort sourcePort, string destination, ushort destinationPort, byte protocol = IpProtocol.Tcp,
        long packets = 3, long bytes = 300, long reversePackets = 2, long reverseBytes = 120) =>
        new(protocol, IpAddress128.Parse(source), sourcePort, IpAddress128.Parse(destination), destinationPort,
            packets, bytes, reversePackets, reverseBytes, 1_600_000_000_123_456, 1_600_000_001_987_654, 0x1B, 0, 0, Flowmesh.Core.Flows.FlowEndReason.EndOfFlow);

    [Fact]
    public void Host_context_goes_out_as_enterprise_elements_that_a_collector_can_skip_by_length()
    {
        var sink = new CollectingSink();
        var encoder = new IpfixEncoder(new IpfixEncoderOptions(), sink);
        var plain = Flow("192.0.2.1", 51000, "198.51.100.7", 443);
        encoder.Add(plain with { ProcessId = 4242, ProcessName = "curl", RttMicros = 51_234, DnsName = "www.example.org" }, Now);
        encoder.Add(plain, Now);
        encoder.Add(Flow("2001:db8::1", 40000, "2001:db8::2", 22) with { ProcessName = "ssh" }, Now);
        // A name longer than one length byte holds is cut on a character boundary, never split inside one.
        encoder.Add(plain with { DnsName = new string('é', 200) }, Now);
        encoder.Flush(Now);

        var (bytes, _) = Assert.Single(sink.Messages);
        var decoder = new IpfixTestDecoder();
        var message = decoder.Read(bytes)!;
        Assert.Empty(decoder.Problems);
        Assert.Equal([260, 256, 261, 260], message.Records.Select(r => (int)r.TemplateId));
        var curl = message.Records[0];
        Assert.Equal(4242ul, curl.Unsigned(IpfixElement.FlowmeshProcessId, IpfixElement.FlowmeshPen));
        Assert.Equal("curl"u8.ToArray(), curl.Fields[new(IpfixElement.FlowmeshProcessName, IpfixElement.FlowmeshPen)]);
        Assert.Equal(51_234ul, curl.Unsigned(IpfixElement.FlowmeshRoundTripMicroseconds, IpfixElement.FlowmeshPen));
        Assert.Equal("www.example.org"u8.ToArray(), curl.Fields[new(IpfixElement.FlowmeshDnsName, IpfixElement.FlowmeshPen)]);
        // The standard elements read the same as in a record without context.
        Assert.Equal(message.Records[1].Fields.Where(f => f.Key.Enterprise != IpfixElement.FlowmeshPen).Select(f => (f.Key, Convert.ToHexString(f.Value))),
            curl.Fields.Where(f => f.Key.Enterprise != IpfixElement.FlowmeshPen).Select(f => (f.Key, Convert.ToHexString(f.Value))));
        var ssh = message.Records[2];
        Assert.Equal(0ul, ssh.Unsigned(IpfixElement.FlowmeshProcessId, IpfixElement.FlowmeshPen)); // unknown: 0
        Assert.Empty(ssh.Fields[new(IpfixElement.FlowmeshDnsName, IpfixElement.FlowmeshPen)]);
        var cut = System.Text.Encoding.UTF8.GetString(message.Records[3].Fields[new(IpfixElement.FlowmeshDnsName, IpfixElement.FlowmeshPen)]);
        Assert.Equal(new string('é', IpfixTemplate.MaxStringBytes / 2), cut);
    }

    [Fact]
    public void Biflow_records_carry_every_field_and_the_reverse_counters()
    {
        var sink = new CollectingSink();
        var encoder = new IpfixEncoder(new IpfixEncoderOptions(), sink);
        encoder.Add(Flow("192.0.2.1", 51000, "198.51.100.7", 443), Now);
        encoder.Add(Flow("2001:db8::1", 5353, "2001:db8::2", 53, IpProtocol.Udp) with { TcpFlags = 0 }, Now);
        encoder.Add(Flow("192.0.2.1", 0, "192.0.2.9", 0, IpProtocol.Icmp) with { IcmpType = 8, IcmpCode = 0, TcpFlags = 0 }, Now);
        encoder.Flush(Now);

        var (bytes, count) = Assert.Single(sink.Messages);
        Assert.Equal(3, count);
        var decoder = new IpfixTestDecoder();
        var message = decoder.Read(bytes)!;
        Assert.Empty(decoder.Problems);
        Assert.Equal(4, message.TemplateRecords); // IPv4 and IPv6, each without and with host context
        Assert.Equal(0u, message.Sequence);
        Assert.Equal(1u, message.Domain);
        Assert.Equal((uint)(Now / 1_000_000), message.ExportTime);
        Assert.Equal(3, message.Records.Count);

        var v4 = message.Records[0];
        Assert.Equal(new byte[] { 192, 0, 2, 1 }, v4.Bytes(SourceIPv4Address));
        Assert.Equal(new byte[] { 198, 51, 100, 7 }, v4.Bytes(DestinationIPv4Address));
        Assert.Equal(51000ul, v4.Unsigned(SourceTransportPort));
        Assert.Equal(443ul, v4.Unsigned(DestinationTransportPort));
        Assert.Equal(6ul, v4.Unsigned(ProtocolIdentifier));
        Assert.Equal(0x1Bul, v4.Unsigned(TcpControlBits));
        Assert.Equal(1_600_000_000_123ul, v4.Unsigned(FlowStartMilliseconds));
        Assert.Equal(1_600_000_001_987ul, v4.Unsigned(FlowEndMilliseconds));
        Assert.Equal(300ul, v4.Unsigned(OctetDeltaCount));
        Assert.Equal(3ul, v4.Unsigned(PacketDeltaCount));
        Assert.Equal(120ul, v4.Unsigned(OctetDeltaCount, ReversePen));
        Assert.Equal(2ul, v4.Unsigned(PacketDeltaCount, ReversePen));
        Assert.Equal(3ul, v4.Unsigned(IpfixElement.FlowEndReason));

        var v6 = message.Records[1];
        Assert.Equal(System.Net.IPAddress.Parse("2001:db8::1").GetAddressBytes(), v6.Bytes(SourceIPv6Address));
        Assert.Equal(System.Net.IPAddress.Parse("2001:db8::2").GetAddressBytes(), v6.Bytes(DestinationIPv6Address));
        Assert.Equal(17ul, v6.Unsigned(ProtocolIdentifier));

        Assert.Equal(0x0800ul, message.Records[2].Unsigned(IcmpTypeCodeIPv4));
    }

    [Fact]
    public void Unidirectional_mode_sends_one_record_per_direction_that_carried_packets()
    {
        var sink = new CollectingSink();
        var encoder = new IpfixEncoder(new IpfixEncoderOptions { Biflow = false }, sink);
        encoder.Add(Flow("192.0.2.1", 51000, "198.51.100.7", 443), Now);
        encoder.Add(Flow("192.0.2.1", 51001, "198.51.100.7", 443, reversePackets: 0, reverseBytes: 0), Now);
        encoder.Flush(Now);

        var decoder = new IpfixTestDecoder();
        var records = decoder.Read(Assert.Single(sink.Messages).Message)!.Records;
        Assert.Equal(3, records.Count);
        Assert.All(records, r => Assert.DoesNotContain(r.Fields.Keys, k => k.Enterprise == ReversePen));
        Assert.Equal(51000ul, records[0].Unsigned(SourceTransportPort));
        Assert.Equal(3ul, records[0].Unsigned(PacketDeltaCount));
        Assert.Equal(443ul, records[1].Unsigned(SourceTransportPort));
        Assert.Equal(51000ul, records[1].Unsigned(DestinationTransportPort));
        Assert.Equal(new byte[] { 198, 51, 100, 7 }, records[1].Bytes(SourceIPv4Address));
        Assert.Equal(2ul, records[1].Unsigned(PacketDeltaCount));
        Assert.Equal(120ul, records[1].Unsigned(OctetDeltaCount));
        Assert.Equal(51001ul, records[2].Unsigned(SourceTransportPort));
    }

    [Theory]
    [InlineData(true, 1400)]
    [InlineData(false, 1400)]
    [InlineData(true, 512)]
    [InlineData(true, 9000)]
    public void Messages_fit_the_limit_and_sequence_numbers_count_the_data_records_before_them(bool biflow, int maxBytes)
    {
        var random = new Random(18);
        var sink = new CollectingSink();
        var encoder = new IpfixEncoder(new IpfixEncoderOptions { Biflow = biflow, MaxMessageBytes = maxBytes, TemplateRefreshMessages = 0 }, sink);
        int flows = 5000;
        for (int i = 0; i < flows; i++)
        {
            bool v6 = random.Next(3) == 0;
            string a = v6 ? $"2001:db8::{random.Next(1, 65535):x}" : $"10.0.{random.Next(256)}.{random.Next(256)}";
            string b = v6 ? $"2001:db8:1::{random.Next(1, 65535):x}" : $"10.1.{random.Next(256)}.{random.Next(256)}";
            encoder.Add(Flow(a, (ushort)random.Next(65536), b, 443, reversePackets: random.Next(2)), Now + i);
        }
        encoder.Flush(Now + flows);

        var decoder = new IpfixTestDecoder();
        long expectedSequence = 0;
        long decoded = 0;
        foreach (var (bytes, count) in sink.Messages)
        {
            Assert.True(bytes.Length <= maxBytes, $"a message of {bytes.Length} bytes, limit {maxBytes}");
            var message = decoder.Read(bytes)!;
            Assert.Equal((uint)expectedSequence, message.Sequence);
            Assert.Equal(count, message.Records.Count);
            Assert.Equal(bytes.Length, message.Length);
            expectedSequence += count;
            decoded += count;
        }
        Assert.Empty(decoder.Problems);
        Assert.Equal(encoder.RecordsSent, decoded);
        Assert.Equal((uint)decoded, encoder.SequenceNumber);
        Assert.True(sink.Messages.Count > 1);
        // Full messages: no message but the last leaves room for another record of the larger (IPv6) kind.
        int largest = (biflow ? IpfixTemplate.Ipv6Biflow : IpfixTemplate.Ipv6Uniflow).RecordLength + 4;
        Assert.All(sink.Messages.SkipLast(1), m => Assert.True(m.Message.Length > maxBytes - largest, $"{m.Message.Length} bytes"));
    }

    [Fact]
    public void Templates_lead_the_first_message_and_return_on_the_message_and_time_schedule()
    {
        var sink = new CollectingSink();
        var encoder = new IpfixEncoder(new IpfixEncoderOptions { TemplateRefreshMessages = 10, TemplateRefreshInterval = TimeSpan.FromSeconds(30) }, sink);
        for (int i = 0; i < 25; i++)
        {
            encoder.Add(Flow("192.0.2.1", (ushort)(1000 + i), "192.0.2.2", 80), Now);
            encoder.Flush(Now);
        }
        encoder.Add(Flow("192.0.2.1", 3000, "192.0.2.2", 80), Now + 10_000_000);
        encoder.Flush(Now + 10_000_000);
        encoder.Add(Flow("192.0.2.1", 3001, "192.0.2.2", 80), Now + 31_000_000);
        encoder.Flush(Now + 31_000_000);

        var decoder = new IpfixTestDecoder();
        int[] withTemplates = [.. sink.Messages.Select((m, i) => (decoder.Read(m.Message)!.TemplateRecords, i)).Where(t => t.TemplateRecords > 0).Select(t => t.i)];
        // Messages 0, 11 and 22 by count (ten without in between), and message 26 by time (31 s after message 22's).
        Assert.Equal([0, 11, 22, 26], withTemplates);
        Assert.Equal(4, encoder.TemplateMessagesSent);
    }

    [Fact]
    public void A_session_start_sends_the_templates_alone_and_a_restart_begins_at_sequence_zero()
    {
        var sink = new CollectingSink();
        var encoder = new IpfixEncoder(new IpfixEncoderOptions(), sink);
        encoder.SendTemplates(Now);
        encoder.Add(Flow("192.0.2.1", 1, "192.0.2.2", 2), Now);
        encoder.Flush(Now);
        encoder.Add(Flow("192.0.2.1", 3, "192.0.2.2", 4), Now);
        Assert.Equal(1, encoder.Restart());
        encoder.SendTemplates(Now);

        var decoder = new IpfixTestDecoder();
        var messages = sink.Messages.Select(m => decoder.Read(m.Message)!).ToList();
        Assert.Equal(3, messages.Count);
        Assert.Equal((4, 0, 0u), (messages[0].TemplateRecords, messages[0].Records.Count, messages[0].Sequence));
        Assert.Equal((0, 1, 0u), (messages[1].TemplateRecords, messages[1].Records.Count, messages[1].Sequence));
        Assert.Equal((4, 0, 0u), (messages[2].TemplateRecords, messages[2].Records.Count, messages[2].Sequence));
    }

    [Fact]
    public void Impossible_values_are_encoded_as_the_nearest_possible_ones()
    {
        var sink = new CollectingSink();
        var encoder = new IpfixEncoder(new IpfixEncoderOptions(), sink);
        encoder.Add(Flow("192.0.2.1", 1, "192.0.2.2", 2, packets: -5, bytes: long.MinValue, reversePackets: long.MaxValue, reverseBytes: 0)
            with { StartMicros = -1_000_000, EndMicros = long.MaxValue, EndReason = (Flowmesh.Core.Flows.FlowEndReason)200 }, Now);
        // An IPv4 source with an IPv6 destination (no decoder makes one) goes out as IPv6, the v4 address mapped.
        encoder.Add(Flow("192.0.2.1", 1, "2001:db8::2", 2), Now);
        encoder.Flush(long.MaxValue);

        var decoder = new IpfixTestDecoder();
        var message = decoder.Read(Assert.Single(sink.Messages).Message)!;
        var odd = message.Records[0];
        Assert.Equal(0ul, odd.Unsigned(PacketDeltaCount));
        Assert.Equal(0ul, odd.Unsigned(OctetDeltaCount));
        Assert.Equal((ulong)long.MaxValue, odd.Unsigned(PacketDeltaCount, ReversePen));
        Assert.Equal(0ul, odd.Unsigned(FlowStartMilliseconds));
        Assert.Equal((ulong)(long.MaxValue / 1000), odd.Unsigned(FlowEndMilliseconds));
        Assert.Equal(200ul, odd.Unsigned(IpfixElement.FlowEndReason));
        var mixed = message.Records[1];
        Assert.Equal(IpfixTemplate.Ipv6Biflow.Id, mixed.TemplateId);
        Assert.Equal(System.Net.IPAddress.Parse("::ffff:192.0.2.1").GetAddressBytes(), mixed.Bytes(SourceIPv6Address));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(511)]
    [InlineData(65536)]
    public void Message_sizes_that_cannot_hold_a_record_are_refused(int maxBytes) =>
        Assert.Throws<ArgumentException>(() => new IpfixEncoder(new IpfixEncoderOptions { MaxMessageBytes = maxBytes }, new CollectingSink()));

    [Fact]
    public void The_smallest_message_holds_the_templates_and_an_ipv6_record()
    {
        int templates = 4 + IpfixTemplate.Ipv6Biflow.TemplateRecordLength + IpfixTemplate.Ipv4Biflow.TemplateRecordLength;
        Assert.True(16 + templates + 4 + IpfixTemplate.Ipv6Biflow.RecordLength <= IpfixEncoderOptions.MinMessageBytes);
    }

    [Fact]
    public void Adding_flows_allocates_nothing()
    {
        var encoder = new IpfixEncoder(new IpfixEncoderOptions(), new DiscardingSink());
        var v4 = Flow("192.0.2.1", 1, "192.0.2.2", 2);
        var v6 = Flow("2001:db8::1", 1, "2001:db8::2", 2);
        long allocated = AllocationMeter.Measure(() =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                encoder.Add(in v4, Now);
                encoder.Add(in v6, Now);
            }
        });
        Assert.Equal(0, allocated);
    }

    private sealed class DiscardingSink : IIpfixMessageSink
    {
        public void Send(ReadOnlySpan<byte> message, int dataRecords) { }
    }
}
