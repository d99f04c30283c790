using Flowmesh.Agent.Hosting;
using Flowmesh.Capture.Ebpf;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Sketches;

namespace Flowmesh.Agent.Tests.Hosting;

/// <summary>
/// The agent's eBPF capture hooks interfaces that come up after it started (a docking station, a VPN, Wi-Fi coming
/// back), as `flowmesh flows` always did: the agent's own copy of the loop had lost that (issue 13); now both run the
/// source's one loop. The default
/// selection watches every interface of the root namespace; the veth pair made here comes up after the start, and its
/// pings must reach the records' flows. Root only; the namespace is removed also on failure.
/// </summary>
[Collection(nameof(AgentProcessCollection))]
public sealed class CapturePipelineNewInterfaceTests
{
    [Fact]
    public void AnInterfaceThatComesUpAfterTheStartIsCaptured()
    {
        if (!Environment.IsPrivilegedProcess) Assert.Skip("needs root: eBPF and network namespaces");
        string objectPath = Path.Combine(AppContext.BaseDirectory, "flowmesh.bpf.o");
        var log = new StringWriter();
        EbpfCaptureSource source;
        try
        {
            source = new EbpfCaptureSource(new EbpfCaptureOptions { ObjectPath = objectPath }, diagnostics: TextWriter.Synchronized(log));
        }
        catch (EbpfUnavailableException e)
        {
            Assert.Skip($"eBPF cannot run here: {e.Message}");
            return;
        }
        var flows = new RecordingListener();
        var options = new EpochSummarizerOptions { Origin = "n", Key = new SketchHashKey("new-interface-k!"u8), EpochLength = TimeSpan.FromSeconds(1) };
        using var pipeline = new CapturePipeline(source, options, static _ => { }, flows: flows, log: TextWriter.Synchronized(log));
        pipeline.Start();
        // Read before the link exists: the source's next tick (250 ms) may hook it while Create is still running.
        string atStart = pipeline.Description;
        using (var link = VethNamespace.Create("ni", "10.231.83"))
        {
            Assert.DoesNotContain(link.HostSide, atStart, StringComparison.Ordinal);
            Assert.True(SpinWait.SpinUntil(() => pipeline.Description.Contains(link.HostSide, StringComparison.Ordinal), TimeSpan.FromSeconds(10)),
                $"the new interface was not hooked: {pipeline.Description}");
            link.Exec("ping", "-n", "-c", "3", "-i", "0.2", "-s", "100", link.HostAddress);
            Thread.Sleep(2500); // past the next boundary: its drain moves the pings into a record's deltas
            Assert.True(pipeline.Stop(TimeSpan.FromSeconds(10)));

            // 100 data bytes + 8 ICMP + 20 IP = 128 bytes, three each way.
            var host = IpAddress128.Parse(link.HostAddress);
            var pings = flows.Deltas.Where(d => d.Protocol == IpProtocol.Icmp && (d.SourceAddress == host || d.DestinationAddress == host)).ToList();
            Assert.Equal((3L, 384L, 3L, 384L), (pings.Sum(d => d.Packets), pings.Sum(d => d.Bytes), pings.Sum(d => d.ReversePackets), pings.Sum(d => d.ReverseBytes)));
            Assert.Contains($"capturing on {link.HostSide} too", log.ToString(), StringComparison.Ordinal);
        }
    }

    private sealed class RecordingListener : IEpochFlowListener
    {
        private readonly List<FlowTableDelta> _deltas = [];

        public IReadOnlyList<FlowTableDelta> Deltas
        {
            get
            {
                lock (_deltas) return [.. _deltas];
            }
        }

        public void Add(FlowTableDelta delta)
        {
            lock (_deltas) _deltas.Add(delta);
        }

        public void Sealed(EpochId id)
        {
        }
    }
}
