using Flowmesh.Core.Dns;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Tests.Dns;

/// <summary>Well-formed messages, checked field by field against the bytes written (RFC 1035 layout).</summary>
public sealed class DnsMessageDecoderTests
{
    [Fact]
    public void Query_yields_header_and_question()
    {
        var message = new DnsMessage();
        Assert.Equal(DnsMalformation.None, DnsMessageDecoder.Decode(DnsWire.Query(0xBEEF, "www.Example.com", 28), message));
        Assert.Equal(0xBEEF, message.TransactionId);
        Assert.False(message.IsResponse);
        Assert.Equal("www.Example.com", message.QuestionName);
        Assert.Equal(28, message.QuestionType);
        Assert.Equal(1, message.QuestionClass);
        Assert.Empty(message.Answers);
    }

    [Fact]
    public void Response_with_compressed_owner_names_yields_addresses_and_ttls()
    {
        var message = new DnsMessage();
        byte[] bytes = DnsWire.Response(7, "example.com", 1, 0, 300, "192.0.2.10", "192.0.2.11");
        Assert.Equal(DnsMalformation.None, DnsMessageDecoder.Decode(bytes, message));
        Assert.True(message.IsResponse);
        Assert.Equal(0, message.ResponseCode);
        Assert.Equal(2, message.Answers.Count);
        Assert.All(message.Answers, a => Assert.Equal("example.com", a.Name));
        Assert.Equal(IpAddress128.Parse("192.0.2.10"), message.Answers[0].Address);
        Assert.Equal(300u, message.Answers[1].TimeToLiveSeconds);
    }

    [Fact]
    public void Cname_chain_and_aaaa_are_read_and_other_types_skipped()
    {
        // www.example.com CNAME edge.example.net; edge.example.net AAAA 2001:db8::5; a TXT record in between.
        var wire = new DnsWire().Header(9, true, answers: 3).Question("www.example.com", 28);
        wire.Pointer(12).RecordFields(5, 60, 18).Name("edge.example.net");
        int edge = wire.Length - 18;
        wire.Pointer(12).RecordFields(16, 60, 4).U8(3).Raw("abc"u8.ToArray());
        wire.AddressRecordAt(edge, "2001:db8::5", 30);
        var message = new DnsMessage();
        Assert.Equal(DnsMalformation.None, DnsMessageDecoder.Decode(wire.Build(), message));
        Assert.Equal(2, message.Answers.Count);
        Assert.Equal("edge.example.net", message.Answers[0].Target);
        Assert.Equal("edge.example.net", message.Answers[1].Name);
        Assert.Equal(IpAddress128.Parse("2001:db8::5"), message.Answers[1].Address);
        Assert.Equal(1, message.AnswersSkipped);
    }

    [Fact]
    public void Nxdomain_rcode_is_read()
    {
        var message = new DnsMessage();
        Assert.Equal(DnsMalformation.None, DnsMessageDecoder.Decode(DnsWire.Response(3, "nope.test", 1, 3, 0), message));
        Assert.Equal(3, message.ResponseCode);
    }

    [Fact]
    public void Names_print_like_dig_with_escapes()
    {
        var wire = new DnsWire().Header(1, false);
        wire.U8(4).Raw((byte)'a', (byte)'.', 0x07, (byte)'b').U8(3).Raw("com"u8.ToArray()).U8(0).U16(1).U16(1);
        var message = new DnsMessage();
        Assert.Equal(DnsMalformation.None, DnsMessageDecoder.Decode(wire.Build(), message));
        Assert.Equal(@"a\.\007b.com", message.QuestionName);
        Assert.Equal(DnsMalformation.None, DnsMessageDecoder.Decode(DnsWire.Query(1, ".", 2), message));
        Assert.Equal(".", message.QuestionName);
    }

    [Fact]
    public void Answers_beyond_the_cap_are_counted_not_kept()
    {
        string[] addresses = [.. Enumerable.Range(0, DnsMessage.MaxAnswers + 10).Select(i => $"10.0.{i / 256}.{i % 256}")];
        var message = new DnsMessage();
        Assert.Equal(DnsMalformation.None, DnsMessageDecoder.Decode(DnsWire.Response(1, "many.test", 1, 0, 5, addresses), message));
        Assert.Equal(DnsMessage.MaxAnswers, message.Answers.Count);
        Assert.Equal(10, message.AnswersSkipped);
    }
}
