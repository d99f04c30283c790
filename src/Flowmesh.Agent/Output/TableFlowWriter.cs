using Flowmesh.Core.Flows;

namespace Flowmesh.Agent.Output;

/// <summary>
/// An aligned table for a terminal. Buffers the rows so every column fits its widest value;
/// the command bounds what reaches it with --limit (or the capture ends).
/// </summary>
internal sealed class TableFlowWriter : IFlowRecordWriter
{
    private readonly TextWriter _output;
    private readonly TextTable _table = new(["Start", "Duration", "Proto", "Source", "", "Destination", "Packets", "Bytes", "Rev packets", "Rev bytes", "TCP flags"], 1, 3, 6, 7, 8, 9);

    public TableFlowWriter(TextWriter output) => _output = output;

    public void Write(FlowRecord r)
    {
        _table.Add(
            Core.UnixMicros.Format(r.StartMicros).Replace('T', ' ').TrimEnd('Z'),
            HumanUnits.Duration(TimeSpan.FromTicks((r.EndMicros - r.StartMicros) * 10)),
            FlowFields.ProtocolName(r.Protocol),
            FlowFields.Endpoint(r.SourceAddress.ToString(), r.SourcePort, Core.Packets.IpProtocol.HasPorts(r.Protocol)),
            "->",
            FlowFields.Endpoint(r.DestinationAddress.ToString(), r.DestinationPort, Core.Packets.IpProtocol.HasPorts(r.Protocol)),
            HumanUnits.Count(r.Packets),
            HumanUnits.Bytes(r.Bytes),
            HumanUnits.Count(r.ReversePackets),
            HumanUnits.Bytes(r.ReverseBytes),
            r.Protocol == Core.Packets.IpProtocol.Tcp ? FlowFields.TcpFlagLetters(r.TcpFlags) : "");
    }

    public void Complete()
    {
        _table.WriteAligned(_output);
        _table.Clear();
        _output.Flush();
    }

    public void Dispose() { }
}
