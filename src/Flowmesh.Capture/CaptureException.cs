namespace Flowmesh.Capture;

/// <summary>A capture could not start or continue: a missing or unreadable file, not a capture file, an unknown interface, missing privileges, a bad filter. The message is for the user.</summary>
public sealed class CaptureException : Exception
{
    public CaptureException(string message) : base(message) { }
    public CaptureException(string message, Exception inner) : base(message, inner) { }
}
