using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Tests.Packets;

public sealed class PacketDecoderAllocationTests
{
    [Fact]
    public void DecodingAllocatesNothing()
    {
        // Every hand-built frame plus truncated and rejected ones, so failure paths are covered too.
        var samples = DecoderSamples.All;
        var links = new LinkType[samples.Count * 2 + 1];
        var frames = new byte[links.Length][];
        for (int i = 0; i < samples.Count; i++)
        {
            links[2 * i] = links[2 * i + 1] = samples[i].LinkType;
            frames[2 * i] = samples[i].Frame;
            frames[2 * i + 1] = samples[i].Frame[..((samples[i].IpStart + samples[i].TransportEnd) / 2)];
        }
        links[^1] = LinkType.Ethernet;
        frames[^1] = new FrameBuilder().Ethernet(0x0806).Fill(28).Build();

        var packet = new PacketInfo();
        long checksum = 0;
        for (int i = 0; i < 20_000; i++) checksum += Run(links, frames, i, ref packet); // JIT and tiering first

        long allocated = AllocationMeter.Measure(() =>
        {
            for (int i = 0; i < 100_000; i++) checksum += Run(links, frames, i, ref packet);
        });

        Assert.Equal(0, allocated);
        Assert.NotEqual(0, checksum);
    }

    private static long Run(LinkType[] links, byte[][] frames, int i, ref PacketInfo packet)
    {
        int k = i % links.Length;
        DecodeFailure failure = PacketDecoder.Decode(links[k], frames[k], ref packet);
        return (long)failure + packet.SourcePort + packet.IpLength;
    }
}
