namespace Flowmesh.Core.Epochs;

public enum EpochRecordAddResult
{
    Added,
    /// <summary>The same record (same id, same content hash) was already present; nothing changed.</summary>
    Duplicate,
}
