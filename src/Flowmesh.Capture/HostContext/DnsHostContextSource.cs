using Flowmesh.Core.Dns;
using Flowmesh.Core.HostContext;

namespace Flowmesh.Capture.HostContext;

/// <summary>
/// The DNS host-context source of one capture (docs/host-context.md#dns): the monitor that reads DNS messages and
/// names flows, and where its packets come from. With libpcap and capture files the flow capture's own frames feed it
/// (<see cref="Core.Flows.FlowMeter.DnsMonitor"/>: whoever owns the meter attaches <see cref="Monitor"/>); with eBPF,
/// a kernel ring buffer or a port-53 libpcap handle that this source owns.
/// </summary>
public sealed class DnsHostContextSource : IDisposable, IHostContextCounters
{
    private readonly IDisposable? _feed;

    internal DnsHostContextSource(DnsTrafficMonitor monitor, IDisposable? feed, string description)
    {
        Monitor = monitor;
        Provider = new DnsNameContextProvider(monitor);
        _feed = feed;
        Description = description;
    }

    /// <summary>The counters (messages decoded, malformed by reason, unmatched, timeouts, cache evictions) live here.</summary>
    public DnsTrafficMonitor Monitor { get; }

    public IFlowContextProvider Provider { get; }

    /// <summary>Where the DNS packets come from, for the start-up note.</summary>
    public string Description { get; }

    /// <summary>DNS packets the kernel could not hand over (eBPF ring buffer full, or the port-53 handle's buffer); 0 when the flow capture feeds the monitor.</summary>
    public long KernelDrops => _feed switch
    {
        DnsPortCapture port => port.KernelDrops,
        Ebpf.DnsRingBuffer ring when OperatingSystem.IsLinux() => ring.RingFullDrops + ring.CopyFailures,
        _ => 0,
    };

    public void AddTo(IDictionary<string, long> counters)
    {
        var m = Monitor;
        counters["dns.messages_decoded"] = m.MessagesDecoded;
        counters["dns.messages_cut_by_capture"] = m.MessagesCutByCapture;
        counters["dns.ip_fragmented_messages"] = m.IpFragmentedMessages;
        counters["dns.other_opcodes"] = m.OtherOpcodes;
        counters["dns.answered"] = m.Answered;
        counters["dns.unmatched_responses"] = m.UnmatchedResponses;
        counters["dns.timeouts"] = m.Timeouts;
        counters["dns.pending_table_full"] = m.PendingTableFull;
        counters["dns.duplicate_queries"] = m.DuplicateQueries;
        counters["dns.cache_evictions"] = m.CacheEvictions;
        counters["dns.tcp_messages_reassembled"] = m.TcpMessagesReassembled;
        counters["dns.tcp_messages_lost"] = m.TcpMessagesLost;
        counters["dns.kernel_drops"] = KernelDrops;
        counters["dns.malformed"] = m.Malformed;
        foreach (var (reason, count) in m.MalformedByReason())
            counters["dns.malformed_" + System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(reason.ToString())] = count;
    }

    public void Dispose()
    {
        _feed?.Dispose();
        Monitor.Finish();
    }
}
