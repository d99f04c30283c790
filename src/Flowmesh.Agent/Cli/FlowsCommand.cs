using System.CommandLine;
using System.Globalization;
using System.Text;
using Flowmesh.Agent.Export;
using Flowmesh.Agent.Output;
using Flowmesh.Capture;
using Flowmesh.Capture.HostContext;
using Flowmesh.Capture.Live;
using Flowmesh.Core.Export;
using Flowmesh.Core.Flows;
using Flowmesh.Core.HostContext;

namespace Flowmesh.Agent.Cli;

/// <summary>`flowmesh flows`: packets from a capture file or a live interface in, flow records out.</summary>
internal static class FlowsCommand
{
    public static Command Create()
    {
        var pcap = new Option<string?>("--pcap", "-r") { Description = "Read a pcap or pcapng file ('-' for standard input)." };
        var iface = new Option<string[]>("--interface", "-i")
        {
            Description = "Capture live on this interface; repeat for several (eBPF only). Default: every interface that is up (eBPF), the interface of the default route (libpcap).",
        };
        var capture = new Option<string?>("--capture") { Description = "Live capture backend: ebpf (in-kernel flow counting, Linux, root) or pcap (libpcap). Default: ebpf on Linux, falling back to pcap when eBPF is unavailable." };
        capture.AcceptOnlyFromAmong("ebpf", "pcap");
        var mapSize = new Option<int>("--ebpf-map-size") { Description = "Flows the kernel map holds between two drains (every 5 s); packets of new flows beyond it are counted as map-full misses.", DefaultValueFactory = _ => Capture.Ebpf.EbpfCaptureOptions.DefaultMaxFlows };
        var seconds = new Option<double?>("--seconds") { Description = "Stop a live capture after this many seconds (default: until Ctrl-C)." };
        var filter = new Option<string?>("--filter", "-f") { Description = "BPF filter for live capture, e.g. \"tcp or udp\" (libpcap only; implies --capture pcap)." };
        var snaplen = new Option<int>("--snaplen") { Description = "Bytes kept per packet in live capture; headers fit in 128.", DefaultValueFactory = _ => 128 };
        var bufferMiB = new Option<int>("--buffer-mib") { Description = "Kernel capture buffer in MiB.", DefaultValueFactory = _ => 32 };
        var promiscuous = new Option<bool>("--promiscuous") { Description = "Put the interface in promiscuous mode." };
        var format = new Option<string?>("--format") { Description = "Output format (default: table on a terminal, json when piped)." };
        format.AcceptOnlyFromAmong("table", "csv", "json");
        var sort = new Option<string>("--sort") { Description = "Order of records (default: as flows end).", DefaultValueFactory = _ => "none" };
        sort.AcceptOnlyFromAmong("none", "bytes", "packets", "start", "duration");
        var limit = new Option<int?>("--limit", "-n") { Description = "Print at most this many records (after sorting)." };
        var idle = new Option<string?>("--idle-timeout") { Description = "Idle timeouts in seconds, e.g. tcp=300,udp=60,icmp=60,other=60,closed=5." };
        var active = new Option<double?>("--active-timeout") { Description = "Report long flows every this many seconds (default 1800)." };
        var maxFlows = new Option<int?>("--max-flows") { Description = "Cap on live flows; the least recently seen is evicted beyond it (default 262144)." };
        var ipfix = new IpfixOptions();

        var command = new Command("flows", "Turn packets into bidirectional flow records (from a file or live interfaces).")
        {
            pcap, iface, capture, mapSize, seconds, filter, snaplen, bufferMiB, promiscuous, format, sort, limit, idle, active, maxFlows,
        };
        ipfix.AddTo(command);
        var contextFlags = new HostContextFlags();
        contextFlags.AddTo(command);
        command.SetAction(parse =>
        {
            // Checked here rather than in validators: validators see options before defaults apply.
            string[] interfaces = parse.GetValue(iface) ?? [];
            var backend = parse.GetValue(capture) switch
            {
                "ebpf" => CaptureBackend.Ebpf,
                "pcap" => CaptureBackend.Pcap,
                _ => CaptureBackend.Auto,
            };
            string? invalid =
                parse.GetValue(pcap) is not null && interfaces.Length > 0 ? "--pcap and --interface exclude each other." :
                parse.GetValue(pcap) is not null && backend != CaptureBackend.Auto ? "--capture chooses how to capture live; it does not apply to --pcap." :
                backend == CaptureBackend.Ebpf && parse.GetValue(filter) is not null ? "--filter works with libpcap only (--capture pcap); eBPF capture counts every packet." :
                backend == CaptureBackend.Pcap && interfaces.Length > 1 ? "libpcap captures one interface; give one --interface (eBPF capture takes several)." :
                parse.GetValue(mapSize) is < 1 ? "--ebpf-map-size must be at least 1." :
                parse.GetValue(limit) is < 0 ? "--limit must not be negative." :
                parse.GetValue(seconds) is <= 0 ? "--seconds must be positive." :
                parse.GetValue(maxFlows) is < 1 ? "--max-flows must be at least 1." :
                parse.GetValue(active) is <= 0 ? "--active-timeout must be positive." :
                parse.GetValue(snaplen) is < 64 or > 262144 ? "--snaplen must be between 64 and 262144." :
                parse.GetValue(bufferMiB) is < 1 or > 4096 ? "--buffer-mib must be between 1 and 4096." :
                null;
            if (invalid is not null) return Fail(ExitCodes.UsageError, invalid);
            // A file waits for a slow collector (nothing is lost); a live capture drops and counts instead of stalling.
            if (ipfix.Parse(parse, waitWhenFull: parse.GetValue(pcap) is not null, out string? ipfixError) is not { } export)
                return Fail(ExitCodes.UsageError, ipfixError!);

            var options = new FlowTableOptions();
            if (parse.GetValue(idle) is string spec)
            {
                options = IdleTimeoutSpec.Apply(options, spec, out string? error);
                if (error is not null) return Fail(ExitCodes.UsageError, error);
            }
            if (parse.GetValue(active) is double activeSeconds) options = options with { ActiveTimeout = TimeSpan.FromSeconds(activeSeconds) };
            if (parse.GetValue(maxFlows) is int cap) options = options with { MaxFlows = cap };

            var outputFormat = parse.GetValue(format) switch
            {
                "table" => OutputFormat.Table,
                "csv" => OutputFormat.Csv,
                "json" => OutputFormat.Json,
                _ => Console.IsOutputRedirected ? OutputFormat.Json : OutputFormat.Table,
            };
            var order = Enum.Parse<FlowSortOrder>(parse.GetValue(sort)!, ignoreCase: true);

            var live = new LiveCaptureRequest(interfaces, parse.GetValue(filter), parse.GetValue(snaplen), parse.GetValue(bufferMiB) * 1024 * 1024,
                parse.GetValue(promiscuous), backend, parse.GetValue(mapSize));
            if (contextFlags.Parse(parse, out string? contextError) is not { } hostContext) return Fail(ExitCodes.UsageError, contextError!);
            return Run(parse.GetValue(pcap), live, parse.GetValue(seconds), options, outputFormat, order, parse.GetValue(limit), export, hostContext);
        });
        return command;
    }

    private static int Run(string? pcapPath, LiveCaptureRequest live, double? seconds, FlowTableOptions options, OutputFormat format, FlowSortOrder order, int? limit,
        (IReadOnlyList<IpfixDestination> Destinations, IpfixExportOptions Options) ipfix, HostContextOptions hostContext)
    {
        ICaptureSource source;
        try
        {
            source = pcapPath is not null ? CaptureSources.OpenFile(pcapPath) : CaptureSources.OpenLive(live, Console.Error);
        }
        catch (CaptureSetupException e)
        {
            return Fail(ExitCodes.InputError, e.Message);
        }

        using (source)
        {
            using var stdout = Console.OpenStandardOutput();
            using var buffered = new BufferedStream(stdout, 64 * 1024);
            using var text = new StreamWriter(buffered, new UTF8Encoding(false), 64 * 1024) { AutoFlush = false };
            using IFlowRecordWriter writer = format switch
            {
                OutputFormat.Json => new JsonLinesFlowWriter(buffered),
                OutputFormat.Csv => new CsvFlowWriter(text),
                _ => new TableFlowWriter(text),
            };
            var selection = new FlowRecordSelection(writer, order, limit);
            IpfixExporter[] exporters = [.. ipfix.Destinations.Select(d => new IpfixExporter(d, ipfix.Options, Console.Error.WriteLine))];
            // A live capture joins what the PC knows (process, RTT, DNS name, drops) to each record as it is exported;
            // a file, the names its own DNS answers gave (Zeek-like).
            using var context = pcapPath is null
                ? HostContextSources.StartLive(hostContext, live, dns: null, Console.Error, source)
                : HostContextSources.ForCaptureFile(hostContext, dns: null);
            foreach (string note in context.Notes) Console.Error.WriteLine($"flowmesh: host context: {note}");
            var resolver = context.Resolver;
            var meter = new FlowMeter(options, record =>
            {
                if (!resolver.IsEmpty) record = record.WithContext(resolver.Resolve(FlowContextKey.From(record)));
                selection.Add(record);
                if (exporters.Length == 0) return;
                var flow = IpfixFlow.From(record);
                foreach (IpfixExporter exporter in exporters) exporter.Post(in flow);
            });
            meter.DnsMonitor = context.Dns?.Monitor;

            using var cancellation = new CancellationTokenSource();
            if (seconds is double s) cancellation.CancelAfter(TimeSpan.FromSeconds(s));
            ConsoleCancelEventHandler onCtrlC = (_, e) => { e.Cancel = true; cancellation.Cancel(); };
            Console.CancelKeyPress += onCtrlC;
            using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
                System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; cancellation.Cancel(); });

            // Like tcpdump's "listening on": a live capture says once that it is running and on what.
            if (pcapPath is null) Console.Error.WriteLine($"flowmesh: capturing with {source.Description}");
            var started = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                using (new ProgressIndicator(source, ProgressIndicator.ShouldShow))
                {
                    source.Run(meter, cancellation.Token);
                }
            }
            catch (CaptureSetupException e)
            {
                return Fail(ExitCodes.InputError, e.Message);
            }
            finally
            {
                Console.CancelKeyPress -= onCtrlC;
            }
            meter.Flush();
            selection.Complete();
            text.Flush();
            buffered.Flush();
            foreach (IpfixExporter exporter in exporters)
            {
                exporter.Complete(TimeSpan.FromMinutes(10));
                exporter.Dispose();
            }
            started.Stop();

            Console.Error.WriteLine(RunSummary.Format(source, meter, selection.Seen, started.Elapsed));
            foreach (IpfixExporter exporter in exporters) Console.Error.WriteLine(IpfixSummary(exporter));
            if (context.Dns is { } dns) Console.Error.WriteLine(DnsSummary(dns));
            return ExitCodes.Success;
        }
    }

    private static string IpfixSummary(IpfixExporter exporter)
    {
        var c = exporter.Counters;
        return string.Create(CultureInfo.InvariantCulture,
            $"flowmesh: IPFIX to {exporter.Destination}: {c.Messages:N0} messages, {c.Records:N0} records sent; {c.SendErrors:N0} send errors, {c.RecordsLost:N0} records lost, {c.FlowsDropped:N0} flows dropped");
    }

    /// <summary>What the DNS source read, so a missing dns_name can be told from a capture without DNS.</summary>
    private static string DnsSummary(DnsHostContextSource dns)
    {
        var m = dns.Monitor;
        string malformed = m.Malformed == 0 ? "0 malformed" : $"{m.Malformed:N0} malformed ({string.Join(", ", m.MalformedByReason().Select(r => $"{r.Key}: {r.Value:N0}"))})";
        return string.Create(CultureInfo.InvariantCulture,
            $"flowmesh: DNS: {m.MessagesDecoded:N0} messages read, {m.MessagesCutByCapture:N0} cut short, {malformed}; {m.Answered:N0} answered, {m.Timeouts:N0} unanswered, {m.UnmatchedResponses:N0} unmatched responses; {m.CachedNames:N0} names held");
    }

    private static int Fail(int code, string message)
    {
        Console.Error.WriteLine($"flowmesh: {message}");
        return code;
    }
}
