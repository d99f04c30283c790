using System.Runtime.InteropServices;
using Flowmesh.Capture.Ebpf;
using Flowmesh.Capture.HostContext.Processes;

/// <summary>Holds the process attribution hooks loaded until SIGTERM/SIGINT, for bench/ebpf-overhead.sh.</summary>
internal static class ProcessHooksRunner
{
    public static int Run()
    {
        ProcessSocketHooks hooks;
        try
        {
            hooks = ProcessSocketHooks.Open();
        }
        catch (EbpfUnavailableException e)
        {
            Console.Error.WriteLine($"ebpf unavailable: {e.Message}");
            return 3;
        }
        using (hooks)
        {
            using var stop = new CancellationTokenSource();
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
            Console.WriteLine("attached process hooks " + string.Join(',', hooks.Attached));
            Console.Out.Flush();
            stop.Token.WaitHandle.WaitOne();
            Console.WriteLine($"recorded {hooks.Recorded} update_failed {hooks.UpdateFailures}");
        }
        return 0;
    }
}
