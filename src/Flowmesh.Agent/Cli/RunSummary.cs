using System.Globalization;
using System.Text;
using Flowmesh.Agent.Output;
using Flowmesh.Capture;
using Flowmesh.Capture.Ebpf;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Agent.Cli;

/// <summary>The closing lines of `flows` on stderr: what was read, what became flows, what was lost and why, how fast.</summary>
internal static class RunSummary
{
    public static string Format(ICaptureSource source, FlowMeter meter, long flows, TimeSpan elapsed)
    {
        var stats = source.Statistics;
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        double rate = meter.FramesSeen / Math.Max(elapsed.TotalSeconds, 1e-6);
        text.Append(c, $"flowmesh: {source.Description}: {meter.FramesSeen:N0} packets read, {flows:N0} flows, {meter.DecodeFailures.Total - meter.DecodeFailures[DecodeFailure.TruncatedTransportHeader]:N0} undecodable");
        var reasons = meter.DecodeFailures.NonZero().Select(r => string.Create(c, $"{Describe(r.Key)} {r.Value:N0}")).ToList();
        if (reasons.Count > 0) text.Append(" (").AppendJoin(", ", reasons).Append(')');
        text.Append(c, $", {meter.Table.Evictions:N0} evicted; {HumanUnits.Duration(elapsed)}, {HumanUnits.Scaled(rate, "packets/s")}");
        if (OperatingSystem.IsLinux() && source is EbpfCaptureSource ebpf)
        {
            // The kernel program's losses have their own names: "kernel drops" would suggest a full buffer.
            KernelCounters k = ebpf.Counters;
            text.Append(c, $"; map-full misses {k.MapFullMisses:N0}");
            if (k.UpdateFailures > 0) text.Append(c, $", map update failures {k.UpdateFailures:N0}");
            if (k.NotIp > 0) text.Append(c, $", not IP {k.NotIp:N0}");
            if (k.BadIpHeader > 0) text.Append(c, $", bad IP header {k.BadIpHeader:N0}");
        }
        else if (stats.KernelDrops is long drops) text.Append(c, $"; kernel drops {drops:N0}");
        if (stats.InterfaceDrops is long ifDrops && ifDrops > 0) text.Append(c, $", interface drops {ifDrops:N0}");
        if (stats.StoppedEarly is string where) text.Append('\n').Append("flowmesh: warning: ").Append(source.Description).Append(" stopped early: ").Append(where);
        return text.ToString();
    }

    private static string Describe(DecodeFailure reason) => reason switch
    {
        DecodeFailure.UnsupportedLinkType => "unsupported link type",
        DecodeFailure.TruncatedLinkHeader => "truncated link header",
        DecodeFailure.NotIp => "not IP",
        DecodeFailure.TruncatedIpHeader => "truncated IP header",
        DecodeFailure.BadIpVersion => "bad IP version",
        DecodeFailure.BadIpHeaderLength => "bad IP header length",
        DecodeFailure.BadIpLength => "bad IP length",
        DecodeFailure.TruncatedTransportHeader => "truncated transport header (counted without ports)",
        _ => reason.ToString(),
    };
}
