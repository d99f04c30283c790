using Flowmesh.Core.Epochs;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Sketches;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Tests.Security;

/// <summary>The envelope carries a real epoch record unchanged: what comes out decodes to the record that went in.</summary>
public sealed class EpochRecordSigningTests
{
    private static readonly SketchHashKey HashKey = new(Enumerable.Range(0, 16).Select(i => (byte)i).ToArray());

    [Fact]
    public void A_sealed_epoch_record_survives_signing_and_verification_byte_for_byte()
    {
        var records = new List<EpochRecord>();
        var summarizer = new EpochSummarizer(new EpochSummarizerOptions { Origin = "node-a", Key = HashKey }, records.Add);
        const long start = 1_700_000_000_000_000;
        summarizer.ObservePacket(LinkType.Ethernet, start, UdpFrame());
        summarizer.AdvanceTime(start + 60_000_000);
        var record = Assert.Single(records);

        using var identity = NodeIdentity.Generate();
        var envelope = SignedRecord.Create(identity, new NodeId(record.Id.Origin), record.Encode()).Encode();
        var trust = new TrustedOrigins();
        Assert.True(trust.TryAccept(envelope, out var accepted, out _));
        Assert.Equal(record.Encode(), accepted!.Record.ToArray());
        Assert.Equal(record.ContentHash, EpochRecord.Decode(accepted.Record, HashKey).ContentHash);
    }

    /// <summary>Ethernet + IPv4 + UDP, 10.0.0.1:5000 -> 10.0.0.2:53, 4 payload bytes.</summary>
    private static byte[] UdpFrame()
    {
        byte[] frame =
        [
            0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00,
            0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
            0x13, 0x88, 0, 53, 0, 12, 0, 0,
            1, 2, 3, 4,
        ];
        ushort sum = 0;
        uint acc = 0;
        for (var i = 14; i < 34; i += 2) acc += (uint)(frame[i] << 8 | frame[i + 1]);
        while (acc > 0xffff) acc = (acc & 0xffff) + (acc >> 16);
        sum = (ushort)~acc;
        frame[24] = (byte)(sum >> 8);
        frame[25] = (byte)sum;
        return frame;
    }
}
