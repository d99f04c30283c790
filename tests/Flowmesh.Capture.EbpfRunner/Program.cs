using System.Globalization;
using System.Runtime.InteropServices;
using Flowmesh.Capture;
using Flowmesh.Capture.Ebpf;
using Flowmesh.Capture.HostContext.Tcp;

// Usage: Flowmesh.Capture.EbpfRunner [--interfaces a,b] [--mode auto|tcx|netlink] [--max-flows N] [--host-context-hooks] [--process-hooks only]
// Prints "attached <name>:<mode> ... programs <id>,<id>,..." once hooked in (with --host-context-hooks also the TCP RTT,
// retransmission, drop and process attribution hooks of docs/host-context.md, and then "hooks <rtt hook>" first), then waits for SIGTERM or SIGINT,
// drains once and prints "flows <n> packets <p> bytes <b> segments <s> map_full <m>".
// --process-hooks only: loads the process attribution hooks instead (bench/ebpf-overhead.sh PROCESS_HOOKS=1), prints
// "attached process hooks <tracepoints>", and at the end "recorded <n> update_failed <f>".
var options = new EbpfCaptureOptions();
bool processHooksOnly = false;
bool hostContextHooks = false;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--host-context-hooks")
    {
        hostContextHooks = true;
        continue;
    }
    string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--interfaces": options = options with { Interfaces = value.Split(',', StringSplitOptions.RemoveEmptyEntries) }; break;
        case "--mode": options = options with { AttachMode = Enum.Parse<EbpfAttachMode>(value, ignoreCase: true) }; break;
        case "--max-flows": options = options with { MaxFlows = int.Parse(value, CultureInfo.InvariantCulture) }; break;
        case "--process-hooks" when value == "only": processHooksOnly = true; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
    i++;
}

if (processHooksOnly) return ProcessHooksRunner.Run();

EbpfFlowCollector collector;
try
{
    collector = EbpfFlowCollector.Open(options);
}
catch (Exception e) when (e is EbpfUnavailableException or CaptureSetupException)
{
    Console.Error.WriteLine($"ebpf unavailable: {e.Message}");
    return 3;
}

TcpStatsHooks? hooks = null;
Flowmesh.Capture.HostContext.Processes.ProcessSocketHooks? processHooks = null;
if (hostContextHooks)
{
    // Every host-context hook an agent loads: TCP RTT, retransmissions and drops, and process attribution (the DNS ring
    // is part of the flow program itself, so it is on in both modes).
    try
    {
        hooks = TcpStatsHooks.Open(new TcpStatsHooksOptions());
        processHooks = Flowmesh.Capture.HostContext.Processes.ProcessSocketHooks.Open();
    }
    catch (EbpfUnavailableException e)
    {
        hooks?.Dispose();
        collector.Dispose();
        Console.Error.WriteLine($"host-context hooks unavailable: {e.Message}");
        return 3;
    }
    Console.WriteLine($"hooks {hooks.RttHook}");
}

using (processHooks)
using (hooks)
using (collector)
{
    using var stop = new CancellationTokenSource();
    using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
    using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });

    foreach (string leftover in collector.RemovedLeftovers) Console.WriteLine($"removed leftover {leftover}");
    // The program ids let a test tell this runner's programs from those other processes load meanwhile.
    Console.WriteLine("attached " + string.Join(' ', collector.Interfaces.Select(a => $"{a.Name}:{a.Mode}")) + " programs " + string.Join(',', collector.ProgramIds));
    Console.Out.Flush();
    stop.Token.WaitHandle.WaitOne();

    long flows = 0, packets = 0, bytes = 0, segments = 0;
    foreach (KernelFlowEntry entry in collector.Drain())
    {
        flows++;
        packets += entry.Value.LowToHigh.Packets + entry.Value.HighToLow.Packets;
        bytes += entry.Value.LowToHigh.Bytes + entry.Value.HighToLow.Bytes;
        segments += entry.Value.LowToHigh.Segments + entry.Value.HighToLow.Segments;
    }
    KernelCounters counters = collector.ReadCounters();
    Console.WriteLine($"flows {flows} packets {packets} bytes {bytes} segments {segments} map_full {counters.MapFullMisses} update_failed {counters.UpdateFailures}");
}
return 0;
