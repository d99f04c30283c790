using System.Text.Json;
using Flowmesh.Core.Flows;

namespace Flowmesh.Agent.Output;

/// <summary>One JSON object per line (JSON Lines), field names from <see cref="FlowFields"/>.</summary>
internal sealed class JsonLinesFlowWriter : IFlowRecordWriter
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();
    private readonly Stream _output;
    private readonly Utf8JsonWriter _json;

    public JsonLinesFlowWriter(Stream output)
    {
        _output = output;
        _json = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    public void Write(FlowRecord r)
    {
        _json.WriteStartObject();
        _json.WriteNumber("proto", r.Protocol);
        _json.WriteString("src_addr", r.SourceAddress.ToString());
        _json.WriteNumber("src_port", r.SourcePort);
        _json.WriteString("dst_addr", r.DestinationAddress.ToString());
        _json.WriteNumber("dst_port", r.DestinationPort);
        _json.WriteNumber("packets", r.Packets);
        _json.WriteNumber("bytes", r.Bytes);
        _json.WriteNumber("rev_packets", r.ReversePackets);
        _json.WriteNumber("rev_bytes", r.ReverseBytes);
        _json.WriteString("start", FlowFields.Timestamp(r.StartMicros));
        _json.WriteString("end", FlowFields.Timestamp(r.EndMicros));
        _json.WriteNumber("tcp_flags", r.TcpFlags);
        _json.WriteNumber("icmp_type", r.IcmpType);
        _json.WriteNumber("icmp_code", r.IcmpCode);
        _json.WriteString("end_reason", FlowFields.EndReason(r.EndReason));
        _json.WriteString("community_id", r.CommunityIdV1());
        _json.WriteEndObject();
        _json.Flush();
        _output.Write(NewLine);
        _json.Reset();
    }

    public void Complete()
    {
        _json.Flush();
        _output.Flush();
    }

    public void Dispose() => _json.Dispose();
}
