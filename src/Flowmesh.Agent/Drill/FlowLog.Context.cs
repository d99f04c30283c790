using Flowmesh.Core.HostContext;
using Microsoft.Data.Sqlite;

namespace Flowmesh.Agent.Drill;

internal sealed partial class FlowLog
{
    private long _contextsUnreadable;

    /// <summary>Stored context blocks that did not decode (a damaged file): the row is served without its context.</summary>
    public long ContextsUnreadable => Interlocked.Read(ref _contextsUnreadable);

    /// <summary>
    /// One flow record's context over the epochs of the window: the newest epoch's process, smoothed RTT and DNS name,
    /// the smallest and largest RTT and the retransmits and drops summed over all of them. Read per answered row (at most
    /// the query's limit), through the source-address index, only for rows that have any.
    /// </summary>
    private FlowHostContext? ContextOf(SqliteConnection connection, FlowRow row, FlowQuery query)
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT context FROM flows
            WHERE src = $s AND epoch_us < $to AND epoch_us + length_us > $from AND protocol = $p AND sport = $sp AND dst = $d AND dport = $dp
              AND first_us = $f AND context IS NOT NULL
            ORDER BY epoch_us
            """;
        command.Parameters.AddWithValue("$s", Bytes(row.Source));
        command.Parameters.AddWithValue("$d", Bytes(row.Destination));
        command.Parameters.AddWithValue("$p", (long)row.Protocol);
        command.Parameters.AddWithValue("$sp", (long)row.SourcePort);
        command.Parameters.AddWithValue("$dp", (long)row.DestinationPort);
        command.Parameters.AddWithValue("$f", row.FirstMicros);
        command.Parameters.AddWithValue("$from", query.FromMicros);
        command.Parameters.AddWithValue("$to", query.ToMicros);
        var epochs = new List<FlowHostContext>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                if (FlowContextCodec.TryDecode((byte[])reader.GetValue(0), out var context, out _)) { if (context is not null) epochs.Add(context); }
                else Interlocked.Increment(ref _contextsUnreadable);
            }
        }
        return Combine(epochs);
    }

    /// <summary>Joins one flow record's per-epoch contexts, oldest first (see <see cref="ContextOf"/>).</summary>
    internal static FlowHostContext? Combine(IReadOnlyList<FlowHostContext> epochs)
    {
        if (epochs.Count == 0) return null;
        if (epochs.Count == 1) return epochs[0];
        ProcessIdentity? process = null;
        string? dns = null;
        TcpPathStats? tcp = null;
        var drops = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var epoch in epochs)
        {
            process = epoch.Process ?? process;
            dns = epoch.DnsName ?? dns;
            if (epoch.Tcp is { } t)
            {
                tcp = tcp is { } sum
                    ? new TcpPathStats(t.SmoothedRttMicros, Math.Min(sum.MinRttMicros, t.MinRttMicros), Math.Max(sum.MaxRttMicros, t.MaxRttMicros), sum.Retransmits + t.Retransmits)
                    : t;
            }
            foreach (var drop in epoch.Drops) drops[drop.Reason] = drops.GetValueOrDefault(drop.Reason) + drop.Packets;
        }
        return new FlowHostContext
        {
            Process = process, Tcp = tcp, DnsName = dns,
            Drops = drops.Count == 0 ? [] : [.. drops.OrderByDescending(d => d.Value).ThenBy(d => d.Key, StringComparer.Ordinal).Select(d => new DropReasonCount(d.Key, d.Value))],
        };
    }
}
