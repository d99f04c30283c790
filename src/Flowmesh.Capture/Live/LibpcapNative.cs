using System.Reflection;
using System.Runtime.InteropServices;

namespace Flowmesh.Capture.Live;

/// <summary>
/// The two calls SharpPcap does not expose without allocating: the handle's pollable descriptor and
/// poll(2) itself. Linux/macOS only; an Npcap build would wait on pcap_getevent's handle instead.
/// </summary>
internal static unsafe partial class LibpcapNative
{
    private const string Libpcap = "libpcap";
    private const short PollIn = 0x0001;

    static LibpcapNative()
    {
        // Distributions name the library differently; the resolver applies to this assembly only.
        NativeLibrary.SetDllImportResolver(typeof(LibpcapNative).Assembly, Resolve);
    }

    [LibraryImport(Libpcap, EntryPoint = "pcap_get_selectable_fd")]
    private static partial int PcapGetSelectableFd(IntPtr pcap);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(PollDescriptor* descriptors, nuint count, int timeoutMilliseconds);

    public static int SelectableDescriptor(IntPtr pcap) => PcapGetSelectableFd(pcap);

    /// <summary>Waits until <paramref name="fd"/> is readable or the timeout passes; interruptions count as a timeout.</summary>
    public static void WaitReadable(int fd, int timeoutMilliseconds)
    {
        var descriptor = new PollDescriptor { Fd = fd, Events = PollIn };
        Poll(&descriptor, 1, timeoutMilliseconds);
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Libpcap) return IntPtr.Zero;
        foreach (string candidate in new[] { "libpcap.so.1", "libpcap.so.0.8", "libpcap.so", "libpcap.dylib" })
        {
            if (NativeLibrary.TryLoad(candidate, assembly, searchPath, out IntPtr handle)) return handle;
        }
        return IntPtr.Zero;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollDescriptor
    {
        public int Fd;
        public short Events;
        public short ReturnedEvents;
    }
}
