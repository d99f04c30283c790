using Flowmesh.Core.Epochs;
using Flowmesh.Core.Export;
using Flowmesh.Core.Flows;

namespace Flowmesh.Agent.Export;

/// <summary>
/// The agent's exact flows to IPFIX: every flow delta of the capture (one per flow and epoch, the same rows the
/// drill-down flow log keeps) goes to each exporter as a biflow record with delta counters, and each sealed epoch
/// flushes the messages, so a collector has an epoch's flows when the epoch's record is published.
/// </summary>
internal sealed class IpfixFlowListener(IReadOnlyList<IpfixExporter> exporters) : IEpochFlowListener
{
    public IReadOnlyList<IpfixExporter> Exporters => exporters;

    public void Add(FlowTableDelta delta)
    {
        if (delta.Packets == 0 && delta.ReversePackets == 0) return;
        var flow = IpfixFlow.From(in delta);
        foreach (IpfixExporter exporter in exporters) exporter.Post(in flow);
    }

    public void Sealed(EpochId id)
    {
        foreach (IpfixExporter exporter in exporters) exporter.Flush();
    }
}
