using System.Buffers;
using System.Text.Json;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Agent.Output;

/// <summary>One JSON object per line (JSON Lines), field names from <see cref="FlowFields"/>.</summary>
internal sealed class JsonLinesFlowWriter : IFlowRecordWriter
{
    private const int ChunkBytes = 32 * 1024;
    // Pre-encoded names: a UTF-8 literal name is validated and checked for escaping on every write (2 % of an offline run).
    private static readonly JsonEncodedText ProtoName = JsonEncodedText.Encode("proto");
    private static readonly JsonEncodedText SrcAddrName = JsonEncodedText.Encode("src_addr");
    private static readonly JsonEncodedText SrcPortName = JsonEncodedText.Encode("src_port");
    private static readonly JsonEncodedText DstAddrName = JsonEncodedText.Encode("dst_addr");
    private static readonly JsonEncodedText DstPortName = JsonEncodedText.Encode("dst_port");
    private static readonly JsonEncodedText PacketsName = JsonEncodedText.Encode("packets");
    private static readonly JsonEncodedText BytesName = JsonEncodedText.Encode("bytes");
    private static readonly JsonEncodedText RevPacketsName = JsonEncodedText.Encode("rev_packets");
    private static readonly JsonEncodedText RevBytesName = JsonEncodedText.Encode("rev_bytes");
    private static readonly JsonEncodedText SegmentsName = JsonEncodedText.Encode("segments");
    private static readonly JsonEncodedText RevSegmentsName = JsonEncodedText.Encode("rev_segments");
    private static readonly JsonEncodedText StartName = JsonEncodedText.Encode("start");
    private static readonly JsonEncodedText EndName = JsonEncodedText.Encode("end");
    private static readonly JsonEncodedText TcpFlagsName = JsonEncodedText.Encode("tcp_flags");
    private static readonly JsonEncodedText IcmpTypeName = JsonEncodedText.Encode("icmp_type");
    private static readonly JsonEncodedText IcmpCodeName = JsonEncodedText.Encode("icmp_code");
    private static readonly JsonEncodedText EndReasonName = JsonEncodedText.Encode("end_reason");
    private static readonly JsonEncodedText CommunityIdName = JsonEncodedText.Encode("community_id");
    private readonly Stream _output;
    // Utf8JsonWriter.Flush() on a Stream also flushes the stream, which made every record a write(2);
    // records collect in this buffer and reach the stream in chunks instead.
    private readonly ArrayBufferWriter<byte> _buffer = new(2 * ChunkBytes);
    private readonly Utf8JsonWriter _json;

    public JsonLinesFlowWriter(Stream output)
    {
        _output = output;
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    public void Write(FlowRecord r)
    {
        // Values are formatted into stack buffers: 63 000 records cost 0.3 s of CPU when each field
        // went through a string (see docs/performance.md).
        Span<char> text = stackalloc char[IpAddress128.MaxTextLength];
        _json.WriteStartObject();
        _json.WriteNumber(ProtoName, r.Protocol);
        r.SourceAddress.TryFormat(text, out int length);
        _json.WriteString(SrcAddrName, text[..length]);
        _json.WriteNumber(SrcPortName, r.SourcePort);
        r.DestinationAddress.TryFormat(text, out length);
        _json.WriteString(DstAddrName, text[..length]);
        _json.WriteNumber(DstPortName, r.DestinationPort);
        _json.WriteNumber(PacketsName, r.Packets);
        _json.WriteNumber(BytesName, r.Bytes);
        _json.WriteNumber(RevPacketsName, r.ReversePackets);
        _json.WriteNumber(RevBytesName, r.ReverseBytes);
        _json.WriteNumber(SegmentsName, r.Segments);
        _json.WriteNumber(RevSegmentsName, r.ReverseSegments);
        Core.UnixMicros.FormatInto(r.StartMicros, text);
        _json.WriteString(StartName, text[..Core.UnixMicros.FormattedLength]);
        Core.UnixMicros.FormatInto(r.EndMicros, text);
        _json.WriteString(EndName, text[..Core.UnixMicros.FormattedLength]);
        _json.WriteNumber(TcpFlagsName, r.TcpFlags);
        _json.WriteNumber(IcmpTypeName, r.IcmpType);
        _json.WriteNumber(IcmpCodeName, r.IcmpCode);
        _json.WriteString(EndReasonName, FlowFields.EndReason(r.EndReason));
        CommunityId.Format(r, seed: 0, text);
        _json.WriteString(CommunityIdName, text[..CommunityId.Length]);
        FlowContextJson.Write(_json, r.Context);
        _json.WriteEndObject();
        _json.Flush();
        _json.Reset();
        _buffer.Write("\n"u8);
        if (_buffer.WrittenCount >= ChunkBytes) Drain();
    }

    public void Complete()
    {
        Drain();
        _output.Flush();
    }

    private void Drain()
    {
        _output.Write(_buffer.WrittenSpan);
        _buffer.ResetWrittenCount();
    }

    public void Dispose() => _json.Dispose();
}
