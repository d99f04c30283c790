using System.Globalization;
using Flowmesh.Capture.Ebpf;
using Flowmesh.Capture.HostContext.Tcp;
using Flowmesh.Capture.Tests.Ebpf;
using Flowmesh.Core.HostContext;
using Flowmesh.Core.Packets;
using static Flowmesh.Capture.Tests.HostContext.TcpStatsNamespaces;

namespace Flowmesh.Capture.Tests.HostContext;

/// <summary>
/// The host-context hooks on the real kernel, against independent truth: iperf3's JSON and <c>ss -ti</c> for RTT and
/// retransmissions (same socket, same tcp_sock.srtt_us), the nftables rule counter for drops.
/// </summary>
[Collection(TcpStatsCollection.Name)]
public sealed class TcpStatsHooksTests(ITestOutputHelper output)
{
    private static string ObjectPath => Path.Combine(AppContext.BaseDirectory, TcpStatsHooksOptions.ObjectFileName);

    private static void SkipUnlessAvailable(params string[] tools)
    {
        string? missing = EbpfPrerequisites.Missing([.. tools, "ping"]); // ping: TcpStatsNamespaces waits for the link with it
        if (missing is null && !File.Exists(ObjectPath)) missing = $"{ObjectPath} was not built";
        if (missing is not null) Assert.Skip(missing);
    }

    private static FlowContextKey Key(byte protocol, string source, int sourcePort, string destination, int destination_port) =>
        new(protocol, IpAddress128.Parse(source), (ushort)sourcePort, IpAddress128.Parse(destination), (ushort)destination_port, 0);

    [Fact]
    public void Rtt_under_tbf_queueing_agrees_with_iperf3_and_ss_on_the_same_socket()
    {
        SkipUnlessAvailable("iperf3", "ss", "tc");
        using var namespaces = Create();
        // No netem on this kernel: a 50 Mbit/s token bucket with 50 ms of queue on the sender builds the delay.
        Check(Client, "tc", "qdisc", "add", "dev", ClientInterface, "root", "tbf", "rate", "50mbit", "burst", "32kbit", "latency", "50ms");
        using var hooks = TcpStatsHooks.Open(new TcpStatsHooksOptions { Drops = false, ObjectPath = ObjectPath });
        var resolver = new FlowContextResolver([new TcpPathStatsProvider(hooks)]);

        IperfRun run = IperfRun.Run(serverPort: 5231, clientPort: 40231, seconds: 4);
        output.WriteLine($"RTT hook: {hooks.RttHook} ({hooks.FentryRefusal}); counters {hooks.ReadCounters()}; TCP map: "
            + string.Join("; ", hooks.PeekTcpPaths().Select(e => $"{e.Key} srtt {e.Value.SmoothedRttMicros} n {e.Value.Samples}")));
        FlowHostContext? context = resolver.Resolve(Key(6, ClientV4, run.ClientPort, ServerV4, 5231));
        // A second Describe of the same flow right away finds the interval empty: the first one took the entry.
        FlowHostContext? again = resolver.Resolve(Key(6, ClientV4, run.ClientPort, ServerV4, 5231));

        Assert.NotNull(context?.Tcp);
        TcpPathStats tcp = context.Tcp.Value;
        output.WriteLine($"hooks: srtt {tcp.SmoothedRttMicros} min {tcp.MinRttMicros} max {tcp.MaxRttMicros} µs; iperf3: min {run.MinRttMicros} mean {run.MeanRttMicros} max {run.MaxRttMicros} µs; ss: {run.SsRttMicros.Count} samples {string.Join(' ', run.SsRttMicros.Take(40))}");
        Assert.Null(again?.Tcp);
        Assert.True(run.SsRttMicros.Count >= 5, "ss sampled the socket fewer than 5 times");
        // The queue is real: the RTT grew to milliseconds (a bare veth answers in tens of µs).
        Assert.True(tcp.MaxRttMicros > 2_000, $"max RTT {tcp.MaxRttMicros} µs: the tbf queue did not show");
        Assert.InRange(tcp.SmoothedRttMicros, tcp.MinRttMicros, tcp.MaxRttMicros);
        // iperf3 (tcpi_rtt every 0.1 s) and ss read the same srtt_us the hook reads at every received segment, so their
        // samples lie within the hook's min..max. The hook reads srtt_us on entry, before the segment updates it: the
        // value after the very last ACK may be unseen, and one update moves srtt by at most 1/8 of the gap to the new
        // sample, hence 12.5 % of slack (and 50 µs for ss's rounding to whole µs).
        Assert.True(tcp.MinRttMicros <= run.MinRttMicros * 1.125 + 50, $"hook min {tcp.MinRttMicros} µs above iperf3's min {run.MinRttMicros} µs");
        Assert.True(tcp.MaxRttMicros >= run.MaxRttMicros * 0.875 - 50, $"hook max {tcp.MaxRttMicros} µs below iperf3's max {run.MaxRttMicros} µs");
        Assert.InRange(run.MeanRttMicros, tcp.MinRttMicros, tcp.MaxRttMicros);
        foreach (long sample in run.SsRttMicros)
            Assert.InRange(sample, tcp.MinRttMicros * 0.875 - 50, tcp.MaxRttMicros * 1.125 + 50);
    }

    [Fact]
    public void Rtt_of_an_ipv6_connection_is_found_under_its_ipv6_addresses()
    {
        SkipUnlessAvailable("iperf3", "ss");
        using var namespaces = Create();
        using var hooks = TcpStatsHooks.Open(new TcpStatsHooksOptions { Drops = false, ObjectPath = ObjectPath });
        var resolver = new FlowContextResolver([new TcpPathStatsProvider(hooks)]);

        IperfRun run = IperfRun.Run(serverPort: 5236, clientPort: 40236, seconds: 1, serverAddress: ServerV6, clientAddress: ClientV6);
        FlowHostContext? context = resolver.Resolve(Key(6, ClientV6, run.ClientPort, ServerV6, 5236));

        Assert.NotNull(context?.Tcp);
        TcpPathStats tcp = context.Tcp.Value;
        output.WriteLine($"hooks: srtt {tcp.SmoothedRttMicros} min {tcp.MinRttMicros} max {tcp.MaxRttMicros} µs; iperf3: min {run.MinRttMicros} max {run.MaxRttMicros} µs");
        Assert.True(tcp.MinRttMicros > 0);
        Assert.True(tcp.MinRttMicros <= run.MinRttMicros * 1.125 + 50);
        Assert.True(tcp.MaxRttMicros >= run.MaxRttMicros * 0.875 - 50);
    }

    [Fact]
    public void Retransmits_match_iperf3_and_the_dropped_segments_show_as_netfilter_drops_counted_like_the_nft_rule()
    {
        SkipUnlessAvailable("iperf3", "ss", "tc", "nft");
        using var namespaces = Create();
        Check(Client, "tc", "qdisc", "add", "dev", ClientInterface, "root", "tbf", "rate", "50mbit", "burst", "32kbit", "latency", "50ms");
        Nft(Server, """
            table inet fmtcp {
              chain input {
                type filter hook input priority 0;
                tcp sport 40232 tcp dport 5232 numgen random mod 100 < 2 counter drop comment "fmtcp-loss"
              }
            }
            """);
        using var hooks = TcpStatsHooks.Open(new TcpStatsHooksOptions { ObjectPath = ObjectPath });
        var resolver = new FlowContextResolver([new TcpPathStatsProvider(hooks), new KernelDropProvider(hooks, DropReasonNames.FromKernel())]);

        IperfRun run = IperfRun.Run(serverPort: 5232, clientPort: 40232, seconds: 3);
        Thread.Sleep(KernelDropProvider.DrainInterval * 2);
        long nftDropped = NftCounter(Server, "fmtcp-loss");
        FlowHostContext? context = resolver.Resolve(Key(6, ClientV4, run.ClientPort, ServerV4, 5232));

        Assert.NotNull(context?.Tcp);
        output.WriteLine($"hooks: retransmits {context.Tcp.Value.Retransmits}, drops {string.Join(", ", context.Drops)}; iperf3 retransmits {run.Retransmits}; nft dropped {nftDropped}");
        Assert.True(nftDropped > 10, $"the nft rule dropped only {nftDropped} packets");
        Assert.True(run.Retransmits > 0, "iperf3 saw no retransmissions");
        // Both count retransmitted segments of the same socket (tcp_sock.total_retrans vs the tracepoint's skb pcount).
        // Equal in most runs; some runs show one fewer here than iperf3 (not yet explained), and some a few more: iperf3
        // reads total_retrans when its test ends, and the socket can still retransmit its last segments or its FIN
        // after that, which only the hook sees (a fresh-clone CI run: 269 here, 267 from iperf3, 268 drops by nft).
        // Under a loaded CI machine the hook has also come out 6 % short (225 against 240, with the drops exact to 2):
        // retransmissions the tracepoint did not see or count, not explained yet (docs/host-context.md). So the bound
        // is 10 % either way: still far from a hook that sees none or counts another socket's.
        long retransmitSlack = Math.Max(2, run.Retransmits / 10);
        Assert.InRange(context.Tcp.Value.Retransmits, run.Retransmits - retransmitSlack, run.Retransmits + retransmitSlack);
        DropReasonCount drop = Assert.Single(context.Drops, d => d.Reason == "NETFILTER_DROP");
        // Equal, except for drops the kernel did not run the hook for (recursion on a CPU, counted by the kernel, rare).
        long recursionMisses = hooks.RecursionMisses;
        output.WriteLine($"recursion misses {recursionMisses}; counters {hooks.ReadCounters()}");
        // Most runs are exact, some one or two short; a full suite under load once saw 245 of 249 with no recursion
        // miss and no map miss (unexplained: docs/host-context.md), so the slack is 2.5 %.
        Assert.InRange(drop.Packets, nftDropped - recursionMisses - Math.Max(2, nftDropped / 40), nftDropped);
    }

    [Fact]
    public void Udp_over_ipv6_dropped_by_an_nft_rule_shows_netfilter_drop_with_the_rule_counter_and_in_both_orientations()
    {
        SkipUnlessAvailable("nft", "python3");
        using var namespaces = Create();
        Nft(Server, """
            table inet fmtcp {
              chain input {
                type filter hook input priority 0;
                ip6 saddr fd00:fc:231::1 udp dport 5233 counter drop comment "fmtcp-udp6"
              }
            }
            """);
        using var hooks = TcpStatsHooks.Open(new TcpStatsHooksOptions { Tcp = false, ObjectPath = ObjectPath });
        var resolver = new FlowContextResolver([new KernelDropProvider(hooks, DropReasonNames.FromKernel())]);

        Check(Client, "python3", "-c",
            $"import socket,time\ns=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM)\ns.bind(('{ClientV6}',40233))\n" +
            $"for i in range(137):\n s.sendto(b'x'*100,('{ServerV6}',5233))\n time.sleep(0.001)\n");
        Thread.Sleep(KernelDropProvider.DrainInterval * 2);
        long nftDropped = NftCounter(Server, "fmtcp-udp6");
        // Oriented the other way round (as a flow whose first packet came from the server would be): same drops.
        FlowHostContext? context = resolver.Resolve(Key(17, ServerV6, 5233, ClientV6, 40233));
        FlowHostContext? again = resolver.Resolve(Key(17, ClientV6, 40233, ServerV6, 5233));

        Assert.Equal(137, nftDropped);
        DropReasonCount drop = Assert.Single(context!.Drops);
        Assert.Equal(new DropReasonCount("NETFILTER_DROP", nftDropped), drop);
        Assert.Null(again); // taken by the first Describe: the next interval starts empty
    }

    [Fact]
    public void A_spoofed_flood_fills_the_bounded_drop_map_and_the_rest_are_counted_misses()
    {
        SkipUnlessAvailable("nft", "hping3");
        const int MaxDropKeys = 128;
        using var namespaces = Create();
        Nft(Server, """
            table inet fmtcp {
              chain prerouting {
                type filter hook prerouting priority -300;
                tcp dport 5234 counter drop comment "fmtcp-flood"
              }
            }
            """);
        using var hooks = TcpStatsHooks.Open(new TcpStatsHooksOptions { Tcp = false, MaxDropKeys = MaxDropKeys, ObjectPath = ObjectPath });
        TcpStatsHookCounters before = hooks.ReadCounters();

        TcpStatsNamespaces.Exec(Client, TimeSpan.FromSeconds(60), "hping3", "-q", "-n", "--rand-source", "-S", "-p", "5234", "-c", "1000", "-i", "u300", ServerV4);
        long nftDropped = NftCounter(Server, "fmtcp-flood");
        TcpStatsHookCounters after = hooks.ReadCounters();
        var (entries, floodEntries, floodPackets) = ReadDropMap(hooks, destinationPort: 5234);
        long misses = after.DropMapFullMisses - before.DropMapFullMisses;
        output.WriteLine($"nft dropped {nftDropped}; map entries {entries} (flood {floodEntries} holding {floodPackets} packets); misses {misses}");

        Assert.True(nftDropped >= 990, $"hping3 sent only {nftDropped} packets"); // a few random sources may repeat, none may be lost
        Assert.True(entries <= MaxDropKeys, $"{entries} entries in a map of {MaxDropKeys}");
        Assert.True(floodEntries > MaxDropKeys / 2, "the flood did not fill the map");
        // Every dropped flood packet is either in the map or a counted miss (other processes' drops can only add misses).
        Assert.True(floodPackets + misses >= nftDropped, $"{floodPackets} kept + {misses} missed < {nftDropped} dropped");
        Assert.True(floodPackets <= nftDropped);
    }

    [Fact]
    public void Malformed_and_random_packets_the_kernel_drops_are_counted_without_inventing_ports()
    {
        SkipUnlessAvailable("python3");
        using var namespaces = Create();
        // TCP itself frees a segment too short for its header without a reason (NOT_SPECIFIED, not kept): an nft rule
        // drops the cut segments first, so they are kept as NETFILTER_DROP and show which ports the hook read.
        Nft(Server, """
            table inet fmtcp {
              chain prerouting {
                type filter hook prerouting priority -300;
                ip saddr 10.254.231.1 ip protocol tcp ip length 22 counter drop comment "fmtcp-cut"
              }
            }
            """);
        using var hooks = TcpStatsHooks.Open(new TcpStatsHooksOptions { Tcp = false, ObjectPath = ObjectPath });
        TcpStatsHookCounters before = hooks.ReadCounters();
        // Raw Ethernet frames from the client's veth (a packet socket: the sender's IP stack would refuse them): 40 IPv4
        // headers claiming 12 bytes (IHL 3, dropped as IP_INHDR), 40 TCP segments cut to 2 bytes (PKT_TOO_SMALL), and
        // 200 valid headers followed by random bytes (fixed seed).
        string serverMac = Check(Server, "cat", $"/sys/class/net/{ServerInterface}/address").Trim();
        string script = Path.Combine(Path.GetTempPath(), $"fmtcp-malformed-{Environment.ProcessId}.py");
        File.WriteAllText(script, $$"""
            import random, socket, struct
            random.seed(17)
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            s.bind(('{{ClientInterface}}', 0))
            ether = bytes.fromhex('{{serverMac.Replace(":", "")}}') + s.getsockname()[4] + b'\x08\x00'
            src, dst = socket.inet_aton('{{ClientV4}}'), socket.inet_aton('{{ServerV4}}')
            def checksum(data):
                total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
                while total > 0xffff: total = (total & 0xffff) + (total >> 16)
                return ~total & 0xffff
            def header(ihl, proto, length):
                h = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, length, 1, 0, 64, proto, 0, src, dst)
                return h[:10] + struct.pack('!H', checksum(h)) + h[12:]
            for i in range(40): s.send(ether + header(3, 6, 20)[:20] + b'\0' * 8)
            for i in range(40): s.send(ether + header(5, 6, 22) + b'\x9c\x40')
            for i in range(200):
                body = bytes(random.getrandbits(8) for _ in range(random.randint(0, 60)))
                s.send(ether + header(5, random.choice([6, 17, 1, 253]), 20 + len(body)) + body)
            """);
        try
        {
            Check(Client, "python3", script);
        }
        finally
        {
            File.Delete(script);
        }
        Thread.Sleep(300);
        TcpStatsHookCounters after = hooks.ReadCounters();
        var ours = hooks.PeekDrops().Where(e => e.Key.Tuple.SourceAddress == Core.Packets.IpAddress128.Parse(ClientV4)).ToList();
        output.WriteLine($"without IP header +{after.DropsWithoutIpHeader - before.DropsWithoutIpHeader}; kept: "
            + string.Join("; ", ours.Select(e => $"{e.Key.Tuple} reason {e.Key.Reason}: {e.Value.Packets}")));

        // The 40 short headers have no readable IP header for the hook either: counted, not attributed.
        Assert.True(after.DropsWithoutIpHeader - before.DropsWithoutIpHeader >= 40);
        // The 40 cut segments are kept under their addresses with ports 0, not with ports read past their end
        // (the 2 bytes would give source port 40000).
        var truncated = ours.Where(e => e.Key.Tuple.Protocol == 6 && e.Key.Tuple.SourcePort == 0 && e.Key.Tuple.DestinationPort == 0).Sum(e => (long)e.Value.Packets);
        long cut = NftCounter(Server, "fmtcp-cut"); // the 40, and the random ones that happen to be TCP with 2 bytes
        Assert.InRange(cut, 40, 60);
        Assert.Equal(cut, truncated);
        Assert.DoesNotContain(ours, e => e.Key.Tuple.SourcePort == 40000);
        // The hooks are still attached and working: a plain nft-free drop (UDP to a closed port) is kept.
        Check(Client, "python3", "-c", $"import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('{ClientV4}',40235))\ns.sendto(b'x',('{ServerV4}',5235))\n");
        Thread.Sleep(200);
        Assert.Contains(hooks.PeekDrops(), e => e.Key.Tuple.SourcePort == 40235 && e.Key.Tuple.DestinationPort == 5235);
    }

    /// <summary>The kernel drop map as it is (nothing taken): total entries, and entries and packets to one port.</summary>
    private static (int Entries, int PortEntries, long PortPackets) ReadDropMap(TcpStatsHooks hooks, int destinationPort)
    {
        var entries = hooks.PeekDrops();
        var port = entries.Where(e => e.Key.Tuple.DestinationPort == destinationPort).ToList();
        return (entries.Count, port.Count, port.Sum(e => (long)e.Value.Packets));
    }

    [Fact]
    public void Drop_reason_names_come_from_the_running_kernel()
    {
        if (!File.Exists(DropReasonNames.KernelBtfPath)) Assert.Skip("this kernel has no BTF");
        DropReasonNames names = DropReasonNames.FromKernel();
        Assert.Null(names.Problem);
        // bpftool reads the same BTF: independent of our reader.
        string dump = Command.Check("bpftool", "btf", "dump", "file", DropReasonNames.KernelBtfPath, "format", "c");
        var line = dump.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("SKB_DROP_REASON_NETFILTER_DROP = ", StringComparison.Ordinal));
        uint value = uint.Parse(line.Split('=')[1].TrimEnd(',').Trim(), CultureInfo.InvariantCulture);
        Assert.Equal("NETFILTER_DROP", names.NameOf(value));
        Assert.Equal("reason 4000000", names.NameOf(4_000_000));
        Assert.Same(names.NameOf(value), names.NameOf(value));
    }
}
