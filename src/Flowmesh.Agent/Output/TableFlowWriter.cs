using Flowmesh.Core.Flows;

namespace Flowmesh.Agent.Output;

/// <summary>
/// An aligned table for a terminal. Buffers the rows so every column fits its widest value;
/// the command bounds what reaches it with --limit (or the capture ends).
/// </summary>
internal sealed class TableFlowWriter : IFlowRecordWriter
{
    private static readonly string[] Headers = ["Start", "Duration", "Proto", "Source", "", "Destination", "Packets", "Bytes", "Rev packets", "Rev bytes", "TCP flags"];
    private static readonly bool[] RightAligned = [false, true, false, true, false, false, true, true, true, true, false];
    private readonly TextWriter _output;
    private readonly List<string[]> _rows = [];

    public TableFlowWriter(TextWriter output) => _output = output;

    public void Write(FlowRecord r)
    {
        _rows.Add([
            FlowFields.Timestamp(r.StartMicros).Replace('T', ' ').TrimEnd('Z'),
            HumanUnits.Duration(TimeSpan.FromTicks((r.EndMicros - r.StartMicros) * 10)),
            FlowFields.ProtocolName(r.Protocol),
            Endpoint(r.SourceAddress.ToString(), r.SourcePort, r.Protocol),
            "->",
            Endpoint(r.DestinationAddress.ToString(), r.DestinationPort, r.Protocol),
            HumanUnits.Count(r.Packets),
            HumanUnits.Bytes(r.Bytes),
            HumanUnits.Count(r.ReversePackets),
            HumanUnits.Bytes(r.ReverseBytes),
            r.Protocol == Core.Packets.IpProtocol.Tcp ? FlowFields.TcpFlagLetters(r.TcpFlags) : "",
        ]);
    }

    private static string Endpoint(string address, ushort port, byte protocol) =>
        !Core.Packets.IpProtocol.HasPorts(protocol) ? address
        : address.Contains(':') ? $"[{address}]:{port}" : $"{address}:{port}";

    public void Complete()
    {
        var widths = new int[Headers.Length];
        for (int c = 0; c < Headers.Length; c++)
        {
            widths[c] = Headers[c].Length;
            foreach (var row in _rows) widths[c] = Math.Max(widths[c], row[c].Length);
        }
        WriteRow(Headers, widths);
        foreach (var row in _rows) WriteRow(row, widths);
        _output.Flush();
        _rows.Clear();
    }

    private void WriteRow(string[] cells, int[] widths)
    {
        for (int c = 0; c < cells.Length; c++)
        {
            if (c > 0) _output.Write("  ");
            _output.Write(RightAligned[c] ? cells[c].PadLeft(widths[c]) : c == cells.Length - 1 ? cells[c] : cells[c].PadRight(widths[c]));
        }
        _output.Write('\n');
    }

    public void Dispose() { }
}
