using Flowmesh.Capture.Ebpf;
using Flowmesh.Core.HostContext;

namespace Flowmesh.Capture.HostContext.Tcp;

/// <summary>
/// Starts the TCP (RTT, retransmissions) and drop-reason parts of host context for <see cref="HostContextSources.StartLive"/>:
/// one set of kernel hooks, one provider per part, one note per part.
/// </summary>
internal static class TcpStatsSource
{
    public static void Start(HostContextOptions options, List<IFlowContextProvider> providers, List<IDisposable> parts, List<string> notes)
    {
        if (!OperatingSystem.IsLinux())
        {
            if (options.Tcp) notes.Add("tcp: unavailable (needs Linux eBPF)");
            if (options.Drops) notes.Add("drops: unavailable (needs Linux eBPF)");
            return;
        }
        TcpStatsHooks hooks;
        try
        {
            hooks = TcpStatsHooks.Open(new TcpStatsHooksOptions { Tcp = options.Tcp, Drops = options.Drops });
        }
        catch (EbpfUnavailableException e)
        {
            string reason = e.Message.Split('\n')[0];
            if (options.Tcp) notes.Add($"tcp: unavailable ({reason})");
            if (options.Drops) notes.Add($"drops: unavailable ({reason})");
            return;
        }
        parts.Add(hooks);
        if (options.Tcp)
        {
            providers.Add(new TcpPathStatsProvider(hooks));
            notes.Add($"tcp: eBPF {hooks.RttHook} (RTT) and tracepoint tcp/tcp_retransmit_skb"
                + (hooks.FentryRefusal is null ? "" : $" (fentry refused: {hooks.FentryRefusal})"));
        }
        if (options.Drops)
        {
            DropReasonNames names = DropReasonNames.FromKernel();
            providers.Add(new KernelDropProvider(hooks, names));
            notes.Add("drops: eBPF tracepoint skb/kfree_skb" + (names.Problem is null ? "" : $" (reasons as numbers: {names.Problem})"));
        }
    }
}
