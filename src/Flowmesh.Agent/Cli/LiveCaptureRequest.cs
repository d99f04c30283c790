namespace Flowmesh.Agent.Cli;

/// <summary>What the command line asked of a live capture; null interface means "the default one".</summary>
internal sealed record LiveCaptureRequest(string? Interface, string? Filter, int SnapLength, int BufferBytes, bool Promiscuous);
