using Flowmesh.Capture.Ebpf;

namespace Flowmesh.Capture.Tests.Ebpf;

/// <summary>A deliberately tiny flow map under a flood of distinct flows: every packet is either in a flow or counted as a miss.</summary>
[Collection(EbpfNetworkCollection.Name)]
public sealed class MapFullTests
{
    private const int MaxFlows = 64;

    [Fact]
    public void A_full_map_counts_each_packet_it_could_not_aggregate_and_a_drain_makes_room_again()
    {
        EbpfPrerequisites.SkipUnlessAvailable("tcpdump", "tshark", "hping3");
        string pcap = Path.Combine(Path.GetTempPath(), $"fmebpf-mapfull-{Environment.ProcessId}.pcap");
        using var pair = VethNamespace.Create("fmebpf-ns2", "fmebpf2", "fmebpf3", "10.254.217.4", v6Prefix: null);
        try
        {
            KernelFlowEntry[] drained, afterDrain;
            KernelCounters counters, countersAfterDrain;
            using var recording = TcpdumpRecording.Start(pair.RootInterface, pcap);
            using (var collector = EbpfFlowCollector.Open(new EbpfCaptureOptions { Interfaces = [pair.RootInterface], MaxFlows = MaxFlows, ObjectPath = EbpfPrerequisites.ObjectPath }))
            {
                Assert.Equal(MaxFlows, collector.MaxFlows);
                // 400 SYNs to 400 ports (each answered by a RST in the same flow): far more flows than the map holds.
                pair.Exec(TimeSpan.FromSeconds(60), "hping3", "-q", "-n", "-S", "-p", "++20000", "-c", "400", "-i", "u1000", pair.RootV4);
                Thread.Sleep(300);
                drained = collector.Drain().ToArray();
                counters = collector.ReadCounters();

                // The drain emptied the map: new flows fit again.
                pair.Exec(TimeSpan.FromSeconds(60), "hping3", "-q", "-n", "-S", "-p", "++30000", "-c", "10", "-i", "u1000", pair.RootV4);
                Thread.Sleep(300);
                afterDrain = collector.Drain().ToArray();
                countersAfterDrain = collector.ReadCounters();
            }
            recording.Stop();
            Assert.Equal(0, recording.KernelDrops);

            Dictionary<ObservedFlow, DirectionalCounts> seen = TsharkFlows.Read(pcap);
            long sentPackets = seen.Values.Sum(c => c.Packets);
            long aggregated = drained.Sum(e => e.Value.LowToHigh.Packets + e.Value.HighToLow.Packets)
                + afterDrain.Sum(e => e.Value.LowToHigh.Packets + e.Value.HighToLow.Packets);

            Assert.Equal(MaxFlows, drained.Length);
            Assert.True(counters.MapFullMisses > 0, "the flood did not fill the map");
            Assert.Equal(0, countersAfterDrain.UpdateFailures);
            Assert.Equal(sentPackets, aggregated + countersAfterDrain.MapFullMisses);
            Assert.Equal(counters.MapFullMisses, countersAfterDrain.MapFullMisses); // nothing missed once there was room
            Assert.Equal(10, afterDrain.Length);
        }
        finally
        {
            File.Delete(pcap);
        }
    }
}
