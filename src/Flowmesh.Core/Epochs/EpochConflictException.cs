namespace Flowmesh.Core.Epochs;

/// <summary>
/// A record that would make a merge count traffic twice or contradict itself: different content under an id
/// already present, or an interval of the same origin overlapping a record already present.
/// </summary>
public sealed class EpochConflictException : Exception
{
    public EpochConflictException(string message) : base(message) { }
}
