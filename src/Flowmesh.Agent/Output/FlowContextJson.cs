using System.Text.Json;
using Flowmesh.Core.HostContext;

namespace Flowmesh.Agent.Output;

/// <summary>
/// The host-context fields of a flow in JSON (docs/flow-records.md "Host context"): <c>process</c>, <c>rtt_us</c>,
/// <c>rtt_min_us</c>, <c>rtt_max_us</c>, <c>retransmits</c>, <c>dns_name</c> and <c>drops</c>. Each is absent when unknown.
/// Shared by <c>flowmesh flows --format json</c> and the drill-down rows of the API.
/// </summary>
internal static class FlowContextJson
{
    public static void Write(Utf8JsonWriter json, FlowHostContext? context)
    {
        if (context is null) return;
        if (context.Process is { } p)
        {
            json.WriteStartObject("process"u8);
            json.WriteNumber("pid"u8, p.Pid);
            json.WriteString("name"u8, p.Name);
            if (p.Path is not null) json.WriteString("path"u8, p.Path);
            if (p.UserId is { } uid) json.WriteNumber("uid"u8, uid);
            if (p.User is not null) json.WriteString("user"u8, p.User);
            if (p.Unit is not null) json.WriteString("unit"u8, p.Unit);
            json.WriteString("source"u8, p.Source.ToText());
            json.WriteEndObject();
        }
        if (context.Tcp is { } tcp)
        {
            json.WriteNumber("rtt_us"u8, tcp.SmoothedRttMicros);
            json.WriteNumber("rtt_min_us"u8, tcp.MinRttMicros);
            json.WriteNumber("rtt_max_us"u8, tcp.MaxRttMicros);
            json.WriteNumber("retransmits"u8, tcp.Retransmits);
        }
        if (context.DnsName is not null) json.WriteString("dns_name"u8, context.DnsName);
        if (context.Drops.Count > 0)
        {
            json.WriteStartArray("drops"u8);
            foreach (var drop in context.Drops)
            {
                json.WriteStartObject();
                json.WriteString("reason"u8, drop.Reason);
                json.WriteNumber("packets"u8, drop.Packets);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
    }
}
