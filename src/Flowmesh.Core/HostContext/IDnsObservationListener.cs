namespace Flowmesh.Core.HostContext;

/// <summary>Receives every finished DNS transaction (answered or timed out). May be called from any thread.</summary>
public interface IDnsObservationListener
{
    void Observe(DnsObservation observation);
}
