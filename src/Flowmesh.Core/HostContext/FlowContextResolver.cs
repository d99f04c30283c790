namespace Flowmesh.Core.HostContext;

/// <summary>
/// Asks every provider about a flow and joins their answers. A provider that throws loses its part for that flow and is
/// counted (<see cref="ProviderFailures"/>); the capture goes on. Not thread-safe: one capture loop owns it.
/// </summary>
public sealed class FlowContextResolver
{
    private readonly IFlowContextProvider[] _providers;
    private readonly FlowHostContextBuilder _builder = new();

    public FlowContextResolver(IEnumerable<IFlowContextProvider> providers)
    {
        ArgumentNullException.ThrowIfNull(providers);
        _providers = providers.ToArray();
    }

    public static FlowContextResolver None { get; } = new([]);

    public bool IsEmpty => _providers.Length == 0;
    public long Resolved { get; private set; }
    public long WithContext { get; private set; }
    public long ProviderFailures { get; private set; }
    public Exception? LastFailure { get; private set; }

    public FlowHostContext? Resolve(in FlowContextKey flow)
    {
        if (_providers.Length == 0) return null;
        _builder.Reset();
        foreach (var provider in _providers)
        {
            try
            {
                provider.Describe(in flow, _builder);
            }
            catch (Exception e)
            {
                ProviderFailures++;
                LastFailure = e;
            }
        }
        Resolved++;
        var context = _builder.Build();
        if (context is not null) WithContext++;
        return context;
    }
}
