using Flowmesh.Capture;
using Flowmesh.Capture.Files;
using Flowmesh.Capture.Live;

namespace Flowmesh.Agent.Cli;

/// <summary>Opens the capture source a command asked for; every way that can fail becomes one <see cref="CaptureSetupException"/> with a message for the user.</summary>
internal static class CaptureSources
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

    public static ICaptureSource OpenLive(LiveCaptureRequest request) =>
        new LibpcapLiveSource(new LiveCaptureOptions
        {
            Interface = request.Interface,
            Filter = request.Filter,
            SnapLength = request.SnapLength,
            KernelBufferBytes = request.BufferBytes,
            Promiscuous = request.Promiscuous,
        });
}
