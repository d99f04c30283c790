using System.Runtime.InteropServices;
using Flowmesh.Capture.Ebpf;

namespace Flowmesh.Capture.HostContext.Processes;

/// <summary>
/// Starts process attribution for a live capture: the eBPF socket hooks when they load (they see every socket, even
/// of programs that exited), else the socket table (sock_diag). The eBPF hooks are independent of the capture
/// backend: a libpcap capture gets them too when the kernel allows.
/// </summary>
public static class ProcessAttribution
{
    /// <param name="preferSocketTable">Use sock_diag even where the hooks would load (tests, or a user who wants no hooks).</param>
    public static (ProcessAttributionProvider Provider, IDisposable? Part, string Note) Start(bool preferSocketTable = false)
    {
        string? unavailable = null;
        if (OperatingSystem.IsLinux() && !preferSocketTable)
        {
            try
            {
                ProcessSocketHooks hooks = ProcessSocketHooks.Open();
                return (new ProcessAttributionProvider(hooks), hooks, "process: " + hooks.Description);
            }
            catch (EbpfUnavailableException e)
            {
                unavailable = e.Message;
            }
        }
        if (OperatingSystem.IsLinux())
        {
            var table = new LinuxSocketTable();
            return (new ProcessAttributionProvider(table), null,
                "process: " + table.Description + (unavailable is null ? "" : $" (eBPF socket hooks unavailable: {unavailable})"));
        }
        if (OperatingSystem.IsWindows())
        {
            var table = new IpHelperSocketTable();
            return (new ProcessAttributionProvider(table), null, "process: " + table.Description);
        }
        throw new PlatformNotSupportedException($"process attribution has no socket table on {RuntimeInformation.OSDescription}");
    }
}
