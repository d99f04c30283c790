namespace Flowmesh.Agent.Api;

/// <summary>Why the API refused a request for a reason other than a malformed query (flowmesh_api_refused_total).</summary>
internal enum ApiRefusal
{
    /// <summary>403: a Host the API does not answer to (DNS rebinding).</summary>
    ForeignHost,
    /// <summary>429: every view build slot stayed busy.</summary>
    ViewBusy,
    /// <summary>429: drill-downs over the concurrency or rate cap.</summary>
    DrillBusy,
    /// <summary>401: no API token, or a wrong one, where one is needed (<see cref="ApiToken"/>).</summary>
    Token,
}

/// <summary>Thread-safe counts per <see cref="ApiRefusal"/>, shared by the API's handlers and read by /metrics.</summary>
internal sealed class ApiRefusals
{
    public static readonly string[] Labels = ["foreign_host", "view_busy", "drill_busy", "token"];
    private readonly long[] _counts = new long[Labels.Length];

    public void Count(ApiRefusal reason) => Interlocked.Increment(ref _counts[(int)reason]);

    public long this[ApiRefusal reason] => Interlocked.Read(ref _counts[(int)reason]);

    public IReadOnlyDictionary<string, long> Snapshot() =>
        Labels.Select((label, i) => (label, i)).ToDictionary(x => x.label, x => Interlocked.Read(ref _counts[x.i]), StringComparer.Ordinal);
}
