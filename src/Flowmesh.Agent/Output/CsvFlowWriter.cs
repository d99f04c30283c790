using System.Globalization;
using Flowmesh.Core.Flows;

namespace Flowmesh.Agent.Output;

/// <summary>RFC 4180 CSV with a header row; the same fields and values as the JSON output.</summary>
internal sealed class CsvFlowWriter : IFlowRecordWriter
{
    private readonly TextWriter _output;

    public CsvFlowWriter(TextWriter output)
    {
        _output = output;
        TextTable.WriteCsvRow(_output, FlowFields.Names);
    }

    public void Write(FlowRecord r)
    {
        var c = CultureInfo.InvariantCulture;
        TextTable.WriteCsvRow(_output, [
            r.Protocol.ToString(c), r.SourceAddress.ToString(), r.SourcePort.ToString(c),
            r.DestinationAddress.ToString(), r.DestinationPort.ToString(c),
            r.Packets.ToString(c), r.Bytes.ToString(c), r.ReversePackets.ToString(c), r.ReverseBytes.ToString(c),
            r.Segments.ToString(c), r.ReverseSegments.ToString(c),
            Core.UnixMicros.Format(r.StartMicros), Core.UnixMicros.Format(r.EndMicros),
            r.TcpFlags.ToString(c), r.IcmpType.ToString(c), r.IcmpCode.ToString(c),
            FlowFields.EndReason(r.EndReason), r.CommunityIdV1()]);
    }

    public void Complete() => _output.Flush();

    public void Dispose() { }
}
