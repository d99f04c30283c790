using Flowmesh.Capture.Ebpf;
using Flowmesh.Capture.Files;
using Flowmesh.Capture.Live;

namespace Flowmesh.Capture;

/// <summary>Opens the capture source a command asked for; every way that can fail becomes one <see cref="CaptureSetupException"/> with a message for the user.</summary>
public static class CaptureSources
{
    public static ICaptureSource OpenFile(string path)
    {
        try
        {
            return new PcapFileSource(path);
        }
        catch (FileNotFoundException)
        {
            throw new CaptureSetupException($"{path}: no such file");
        }
        catch (DirectoryNotFoundException)
        {
            throw new CaptureSetupException($"{path}: no such file");
        }
        catch (UnauthorizedAccessException)
        {
            throw new CaptureSetupException($"{path}: permission denied");
        }
        catch (InvalidDataException e)
        {
            throw new CaptureSetupException(e.Message, e);
        }
        catch (IOException e)
        {
            throw new CaptureSetupException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>
    /// eBPF when asked for, or by default on Linux unless a filter asks for libpcap; when eBPF cannot run
    /// and was not demanded, libpcap, after one line on <paramref name="diagnostics"/> saying why.
    /// </summary>
    public static ICaptureSource OpenLive(LiveCaptureRequest request, TextWriter diagnostics)
    {
        bool tryEbpf = request.Backend == CaptureBackend.Ebpf
            || (request.Backend == CaptureBackend.Auto && OperatingSystem.IsLinux() && request.Filter is null);
        // The platform boundary: the eBPF loader is Linux-only ([SupportedOSPlatform]), so other systems never reach it.
        if (tryEbpf && !OperatingSystem.IsLinux()) // off Linux only a demanded --capture ebpf gets here
            throw new CaptureSetupException($"eBPF capture unavailable: {EbpfAvailability.Check(string.Empty)}");
        if (tryEbpf && OperatingSystem.IsLinux())
        {
            try
            {
                var source = new EbpfCaptureSource(new EbpfCaptureOptions
                {
                    Interfaces = request.Interfaces.Count > 0 ? request.Interfaces : null,
                    MaxFlows = request.EbpfMapSize,
                }, diagnostics: diagnostics);
                foreach (string skipped in source.Skipped) diagnostics.WriteLine($"flowmesh: not watching {skipped}");
                return source;
            }
            catch (EbpfUnavailableException e) when (request.Backend == CaptureBackend.Auto)
            {
                diagnostics.WriteLine($"flowmesh: eBPF unavailable ({e.Reason}); capturing with libpcap");
            }
            catch (EbpfUnavailableException e)
            {
                throw new CaptureSetupException($"eBPF capture unavailable: {e.Reason}" + (e.Details is null ? "" : Environment.NewLine + e.Details), e);
            }
        }
        if (request.Interfaces.Count > 1)
            throw new CaptureSetupException($"libpcap captures one interface; {request.Interfaces.Count} were given (eBPF capture takes several)");
        return OpenLibpcap(request);
    }

    private static LibpcapLiveSource OpenLibpcap(LiveCaptureRequest request) =>
        new(new LiveCaptureOptions
        {
            Interface = request.Interfaces.Count > 0 ? request.Interfaces[0] : null,
            Filter = request.Filter,
            SnapLength = request.SnapLength,
            KernelBufferBytes = request.BufferBytes,
            Promiscuous = request.Promiscuous,
        });
}
