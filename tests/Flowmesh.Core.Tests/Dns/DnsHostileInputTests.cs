using System.Diagnostics;
using Flowmesh.Core.Dns;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Tests.Packets;

namespace Flowmesh.Core.Tests.Dns;

/// <summary>
/// Truncated, random and crafted DNS messages: the decoder never throws, never loops, keeps at most
/// <see cref="DnsMessage.MaxAnswers"/> answers, and names the reason; the monitor counts it.
/// </summary>
public sealed class DnsHostileInputTests
{
    private static DnsMalformation Decode(byte[] bytes) => DnsMessageDecoder.Decode(bytes, new DnsMessage());

    [Fact]
    public void Every_prefix_of_a_response_is_rejected_with_a_truncation_reason()
    {
        var wire = new DnsWire().Header(5, true, answers: 2).Question("www.example.com", 1);
        wire.Pointer(12).RecordFields(5, 60, 7).U8(4).Raw("edge"u8.ToArray()).Pointer(16);
        wire.AddressRecordAt(wire.Length - 7, "192.0.2.1", 60);
        byte[] whole = wire.Build();
        Assert.Equal(DnsMalformation.None, Decode(whole));
        for (int length = 0; length < whole.Length; length++)
        {
            var reason = Decode(whole[..length]);
            Assert.True(reason is DnsMalformation.TruncatedHeader or DnsMalformation.TruncatedName or DnsMalformation.TruncatedQuestion
                or DnsMalformation.TruncatedRecord or DnsMalformation.PointerOutOfRange, $"prefix {length}: {reason}");
        }
    }

    [Theory]
    [InlineData("pointer to itself", DnsMalformation.CompressionLoop)]
    [InlineData("two pointers at each other", DnsMalformation.CompressionLoop)]
    [InlineData("label then pointer forward", DnsMalformation.CompressionLoop)]
    [InlineData("pointer past the end", DnsMalformation.PointerOutOfRange)]
    [InlineData("five 63-byte labels", DnsMalformation.NameTooLong)]
    [InlineData("long name through backward pointers", DnsMalformation.NameTooLong)]
    [InlineData("reserved label type 0x40", DnsMalformation.ReservedLabelType)]
    [InlineData("reserved label type 0x80", DnsMalformation.ReservedLabelType)]
    [InlineData("no question", DnsMalformation.NoQuestion)]
    [InlineData("question without type", DnsMalformation.TruncatedQuestion)]
    [InlineData("65535 answers announced, one present", DnsMalformation.TruncatedName)]
    [InlineData("A record of 5 bytes", DnsMalformation.BadAddressLength)]
    [InlineData("record data past the end", DnsMalformation.TruncatedRecord)]
    [InlineData("cname target pointing past its record", DnsMalformation.PointerOutOfRange)]
    public void Crafted_messages_get_their_reason(string name, DnsMalformation expected)
    {
        Assert.Equal(expected, Decode(Crafted(name)));
    }

    private static byte[] Crafted(string name)
    {
        var header = new DnsWire().Header(1, true, answers: 1);
        switch (name)
        {
            case "pointer to itself": return header.Pointer(12).U16(1).U16(1).Build();
            case "two pointers at each other": return header.Pointer(14).Pointer(12).U16(1).U16(1).Build();
            case "label then pointer forward": return header.U8(1).U8('b').Pointer(16).U8(1).U8('a').Pointer(12).U16(1).U16(1).Build();
            case "pointer past the end": return header.Pointer(0x3FFF).U16(1).U16(1).Build();
            case "five 63-byte labels":
                for (int i = 0; i < 5; i++) header.U8(63).Raw(Enumerable.Repeat((byte)'x', 63).ToArray());
                return header.U8(0).U16(1).U16(1).Build();
            case "long name through backward pointers":
            {
                // Question: one 63-byte label. Answer 1 (TXT, skipped) carries four links in its data, each a 63-byte
                // label and a pointer back to the previous one; answer 2's owner points at the last: 5 × 64 bytes.
                var wire = new DnsWire().Header(1, true, answers: 2).U8(63).Raw(Enumerable.Repeat((byte)'q', 63).ToArray()).U8(0).U16(1).U16(1);
                wire.Pointer(12).RecordFields(16, 1, 4 * 66);
                int previous = 12;
                for (int i = 0; i < 4; i++)
                {
                    int here = wire.Length;
                    wire.U8(63).Raw(Enumerable.Repeat((byte)'a', 63).ToArray()).Pointer(previous);
                    previous = here;
                }
                return wire.Pointer(previous).RecordFields(1, 1, 4).U32(0x0A000001).Build();
            }
            case "reserved label type 0x40": return header.U8(0x41).U8(0).U16(1).U16(1).Build();
            case "reserved label type 0x80": return header.U8(0x81).U8(0).U16(1).U16(1).Build();
            case "no question": return new DnsWire().Header(1, false, questions: 0).Build();
            case "question without type": return new DnsWire().Header(1, false).Name("a.test").U8(0).Build();
            case "65535 answers announced, one present":
                return new DnsWire().Header(1, true, answers: 65535).Question("a.test", 1).AddressRecordAt(12, "192.0.2.1", 5).Build();
            case "A record of 5 bytes": return new DnsWire().Header(1, true, answers: 1).Question("a.test", 1).Pointer(12).RecordFields(1, 5, 5).U32(1).U8(1).Build();
            case "record data past the end": return new DnsWire().Header(1, true, answers: 1).Question("a.test", 1).Pointer(12).RecordFields(1, 5, 4).U16(1).Build();
            case "cname target pointing past its record":
                return new DnsWire().Header(1, true, answers: 1).Question("a.test", 5).Pointer(12).RecordFields(5, 5, 2).Pointer(40).U32(0).Build();
            default: throw new ArgumentException(name);
        }
    }

    [Fact]
    public void Random_and_mutated_messages_never_throw_and_stay_bounded()
    {
        var random = new Random(20261207);
        var message = new DnsMessage();
        byte[] valid = DnsWire.Response(77, "www.example.com", 1, 0, 60, "192.0.2.1", "192.0.2.2", "192.0.2.3");
        var reasons = new Dictionary<DnsMalformation, int>();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 200_000; i++)
        {
            byte[] bytes;
            if (i % 2 == 0)
            {
                bytes = new byte[random.Next(0, 600)];
                random.NextBytes(bytes);
            }
            else
            {
                bytes = (byte[])valid.Clone();
                for (int flips = random.Next(1, 6); flips > 0; flips--) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                if (random.Next(4) == 0) bytes = bytes[..random.Next(bytes.Length)];
            }
            var reason = DnsMessageDecoder.Decode(bytes, message);
            reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
            Assert.True(message.Answers.Count <= DnsMessage.MaxAnswers);
            Assert.True(message.QuestionName is null || message.QuestionName.Length <= DnsNameReader.MaxPresentationChars);
        }
        clock.Stop();
        // 200,000 messages of up to 600 bytes: far below a second each when nothing loops (measured: well under 2 s in all).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        Assert.True(reasons.Count >= 6, string.Join(", ", reasons));
    }

    [Fact]
    public void The_monitor_counts_each_malformation_by_reason_and_goes_on()
    {
        var monitor = new DnsTrafficMonitor();
        var meter = new FlowMeter(new FlowTableOptions(), _ => { }) { DnsMonitor = monitor };
        long t = 1_700_000_000_000_000;
        meter.ObservePacket(Core.Packets.LinkType.Ethernet, t, DnsFrames.Udp("10.1.0.2", 40000, "10.1.0.1", 53, Crafted("pointer to itself")));
        meter.ObservePacket(Core.Packets.LinkType.Ethernet, t, DnsFrames.Udp("10.1.0.2", 40001, "10.1.0.1", 53, Crafted("five 63-byte labels")));
        meter.ObservePacket(Core.Packets.LinkType.Ethernet, t, DnsFrames.Udp("10.1.0.2", 40002, "10.1.0.1", 53, [1, 2, 3]));
        meter.ObservePacket(Core.Packets.LinkType.Ethernet, t, DnsFrames.Udp("10.1.0.2", 40003, "10.1.0.1", 53, DnsWire.Query(1, "ok.test", 1)));
        Assert.Equal(1, monitor.MalformedBy(DnsMalformation.CompressionLoop));
        Assert.Equal(1, monitor.MalformedBy(DnsMalformation.NameTooLong));
        Assert.Equal(1, monitor.MalformedBy(DnsMalformation.TruncatedHeader));
        Assert.Equal(3, monitor.Malformed);
        Assert.Equal(1, monitor.MessagesDecoded);
        Assert.Equal(4, meter.PacketsMetered);
    }
}
