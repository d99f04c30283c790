using Flowmesh.Capture;

namespace Flowmesh.Agent.Cli;

/// <summary>Opens the capture source a command asked for.</summary>
internal static class CaptureSources
{
    public static ICaptureSource OpenFile(string path) => throw new CaptureException("file capture not wired yet");

    public static ICaptureSource OpenLive(LiveCaptureRequest request) => throw new CaptureException("live capture not wired yet");
}
