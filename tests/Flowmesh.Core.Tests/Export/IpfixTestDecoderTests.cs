using Flowmesh.Core.Export;
using Flowmesh.Core.Packets;
using Flowmesh.Tests.Shared;

namespace Flowmesh.Core.Tests.Export;

/// <summary>
/// The tests' IPFIX reader must itself be trustworthy: it reads what the RFC's layout says, and on truncated, random
/// and hostile input it neither throws, nor loops, nor allocates without bound; it says what it skipped.
/// </summary>
public sealed class IpfixTestDecoderTests
{
    private static byte[] OneMessage()
    {
        var sink = new CollectingSink();
        var encoder = new IpfixEncoder(new IpfixEncoderOptions(), sink);
        var flow = new IpfixFlow(6, IpAddress128.Parse("192.0.2.1"), 1, IpAddress128.Parse("192.0.2.2"), 2, 1, 40, 1, 40, 0, 0, 0x12, 0, 0, Flowmesh.Core.Flows.FlowEndReason.IdleTimeout);
        encoder.Add(in flow, 0);
        encoder.Add(in flow, 0);
        encoder.Flush(0);
        return sink.Messages[0].Message;
    }

    [Fact]
    public void Reads_a_hand_built_message()
    {
        // Header (version 10, length 44, time 7, sequence 5, domain 9), a template set with template 300 of two
        // fields (protocolIdentifier/1 and a reverse packetDeltaCount/2 under PEN 29305), a data set of one record.
        byte[] message =
        [
            0, 10, 0, 45, 0, 0, 0, 7, 0, 0, 0, 5, 0, 0, 0, 9,
            0, 2, 0, 20, 1, 44, 0, 2, 0, 4, 0, 1, 0x80, 2, 0, 2, 0, 0, 0x72, 0x79,
            1, 44, 0, 9, 17, 0, 42, 0, 0,
        ];
        var decoder = new IpfixTestDecoder();
        var read = decoder.Read(message)!;
        Assert.Equal((45, 7u, 5u, 9u, 1), ((int)read.Length, read.ExportTime, read.Sequence, read.Domain, read.TemplateRecords));
        var record = Assert.Single(read.Records);
        Assert.Equal(17ul, record.Unsigned(IpfixElement.ProtocolIdentifier));
        Assert.Equal(42ul, record.Unsigned(IpfixElement.PacketDeltaCount, IpfixElement.ReversePen));
        Assert.Empty(decoder.Problems); // the two bytes after the record are padding
    }

    [Fact]
    public void Every_truncation_is_reported_and_never_throws()
    {
        byte[] whole = OneMessage();
        for (int length = 0; length < whole.Length; length++)
        {
            var decoder = new IpfixTestDecoder();
            var read = decoder.Read(whole.AsSpan(0, length));
            Assert.Null(read); // the header's length says more than there is
            Assert.NotEmpty(decoder.Problems);
        }
    }

    [Fact]
    public void Random_and_mutated_input_never_throws_or_hangs()
    {
        var random = new Random(7011);
        byte[] whole = OneMessage();
        for (int i = 0; i < 20_000; i++)
        {
            byte[] input;
            if (i % 2 == 0)
            {
                input = new byte[random.Next(0, 200)];
                random.NextBytes(input);
                if (input.Length >= 4) { input[0] = 0; input[1] = 10; input[2] = (byte)(input.Length >> 8); input[3] = (byte)input.Length; }
            }
            else
            {
                input = (byte[])whole.Clone();
                for (int flips = random.Next(1, 6); flips > 0; flips--) input[random.Next(input.Length)] = (byte)random.Next(256);
            }
            var decoder = new IpfixTestDecoder();
            decoder.Read(input); // must return; the test host's timeout catches a hang
        }
    }

    [Fact]
    public void Hostile_lengths_are_refused()
    {
        var decoder = new IpfixTestDecoder();
        // A set of length 0 (a reader that trusts it loops for ever) and a template claiming 65,535 fields.
        Assert.Empty(decoder.Read([0, 10, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0])!.Records);
        Assert.Equal(1, decoder.Problems["set length"]);
        Assert.Equal(0, decoder.Read([0, 10, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 8, 1, 0, 0xFF, 0xFF])!.TemplateRecords);
        Assert.Equal(1, decoder.Problems["template header"]);
        // Data for a template never seen.
        Assert.Empty(decoder.Read([0, 10, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 8, 1, 2, 3, 4])!.Records);
        Assert.Equal(1, decoder.Problems["unknown template"]);
    }
}
