using Microsoft.Data.Sqlite;

namespace Flowmesh.Agent.Storage;

/// <summary>
/// Per origin and tier, the start before which the byte budget cut that origin's records (issue 16: an origin over
/// its fair share loses its own oldest records). Records starting before it are refused, like those below a tier's
/// horizon, so replication does not bring back what the budget removed. Persisted in the meta table
/// (<see cref="RecordPruning.OriginHorizonKey"/>) with the prune that moved it. Thread-safe.
/// </summary>
internal sealed class OriginHorizons
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Origin, int Tier), long> _horizons = [];

    public static OriginHorizons Load(SqliteConnection writer)
    {
        var loaded = new OriginHorizons();
        using var command = writer.Command("SELECT key, value FROM meta WHERE key >= $from AND key < $to")
            .With("$from", RecordPruning.OriginHorizonPrefix).With("$to", RecordPruning.OriginHorizonPrefix[..^1] + "0");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            string rest = reader.GetString(0)[RecordPruning.OriginHorizonPrefix.Length..];
            int slash = rest.IndexOf('/', StringComparison.Ordinal);
            if (slash > 0 && int.TryParse(rest.AsSpan(0, slash), System.Globalization.CultureInfo.InvariantCulture, out int tier))
                loaded._horizons[(rest[(slash + 1)..], tier)] = reader.GetInt64(1);
        }
        return loaded;
    }

    /// <summary>The start before which <paramref name="origin"/>'s records of <paramref name="tier"/> were cut for bytes; long.MinValue when never.</summary>
    public long Of(string origin, int tier)
    {
        lock (_lock) return _horizons.TryGetValue((origin, tier), out long horizon) ? horizon : long.MinValue;
    }

    public void Raise(string origin, int tier, long horizon)
    {
        lock (_lock)
        {
            if (!_horizons.TryGetValue((origin, tier), out long held) || horizon > held) _horizons[(origin, tier)] = horizon;
        }
    }
}
