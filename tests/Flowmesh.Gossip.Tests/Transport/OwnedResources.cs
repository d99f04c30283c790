namespace Flowmesh.Gossip.Tests.Transport;

/// <summary>What a test started (peers, servers, clients), disposed newest first at its end.</summary>
internal sealed class OwnedResources : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public T Add<T>(T item) where T : IDisposable
    {
        _owned.Add(item);
        return item;
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
    }
}
