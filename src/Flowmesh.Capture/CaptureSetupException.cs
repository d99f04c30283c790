namespace Flowmesh.Capture;

/// <summary>
/// A capture could not start: a missing or unreadable file, an unknown interface, missing privileges, a filter libpcap rejects.
/// The message is written for the person at the command line and says what to do.
/// </summary>
public sealed class CaptureSetupException : Exception
{
    public CaptureSetupException(string message) : base(message)
    {
    }

    public CaptureSetupException(string message, Exception inner) : base(message, inner)
    {
    }
}
