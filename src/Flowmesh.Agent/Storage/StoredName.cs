namespace Flowmesh.Agent.Storage;

/// <summary>
/// A name read back from the database (an origin, a member, an address): the file may have been edited by hand, so
/// a row is used only when its text is one the gossip layer could have sent (not empty, within its byte limit).
/// </summary>
internal static class StoredName
{
    public static bool IsValid(string value, int maxBytes) =>
        value.Length > 0 && System.Text.Encoding.UTF8.GetByteCount(value) <= maxBytes;
}
