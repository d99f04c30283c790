namespace Flowmesh.Core.Epochs;

/// <summary>Encoded epoch-record bytes that are truncated, oversized, corrupted, of another version or key, or inconsistent.</summary>
public sealed class EpochRecordFormatException : Exception
{
    public EpochRecordFormatException(string message) : base(message) { }
    public EpochRecordFormatException(string message, Exception inner) : base(message, inner) { }
}
