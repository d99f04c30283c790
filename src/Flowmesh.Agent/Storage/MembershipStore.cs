using Flowmesh.Gossip;
using Flowmesh.Gossip.Membership;
using Microsoft.Data.Sqlite;

namespace Flowmesh.Agent.Storage;

/// <summary>
/// The membership snapshot of <see cref="AgentDatabase"/> (table <c>members</c>, docs/storage.md): whom the agent knew
/// when it last saved, so a restarted agent rejoins them without --join. Rows that do not describe a valid member
/// are skipped and counted, never fatal. Thread-safe.
/// </summary>
public sealed class MembershipStore
{
    private const string MembersSavedKey = "members_saved_us";

    private readonly DatabaseConnections _connections;

    internal MembershipStore(DatabaseConnections connections) => _connections = connections;

    /// <summary>Replaces the membership snapshot with <paramref name="members"/>, in one transaction.</summary>
    public void Save(IEnumerable<PersistedMember> members, DateTimeOffset savedAt)
    {
        ArgumentNullException.ThrowIfNull(members);
        lock (_connections.WriteLock)
        {
            ObjectDisposedException.ThrowIf(_connections.IsDisposed, this);
            var writer = _connections.Writer;
            using var transaction = writer.BeginTransaction();
            writer.Execute("DELETE FROM members", transaction);
            using (var insert = writer.Command(
                "INSERT INTO members(name, address, incarnation, state, state_since_us) VALUES ($name, $address, $incarnation, $state, $since) " +
                "ON CONFLICT (name) DO UPDATE SET address = excluded.address, incarnation = excluded.incarnation, state = excluded.state, state_since_us = excluded.state_since_us",
                transaction))
            {
                var name = insert.Parameters.Add(new SqliteParameter { ParameterName = "$name" });
                var address = insert.Parameters.Add(new SqliteParameter { ParameterName = "$address" });
                var incarnation = insert.Parameters.Add(new SqliteParameter { ParameterName = "$incarnation" });
                var state = insert.Parameters.Add(new SqliteParameter { ParameterName = "$state" });
                var since = insert.Parameters.Add(new SqliteParameter { ParameterName = "$since" });
                foreach (var member in members)
                {
                    name.Value = member.Id.Value;
                    address.Value = member.Address.Value;
                    incarnation.Value = (long)member.Incarnation;
                    state.Value = (long)member.State;
                    since.Value = Core.UnixMicros.FromInstant(member.StateSince);
                    insert.ExecuteNonQuery();
                }
            }
            using (var saved = writer.Command(
                "INSERT INTO meta(key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value", transaction))
                saved.With("$key", MembersSavedKey).With("$value", Core.UnixMicros.FromInstant(savedAt)).ExecuteNonQuery();
            transaction.Commit();
        }
    }

    /// <summary>The last saved membership snapshot, or null when none was ever saved.</summary>
    public MembershipSnapshot? Load()
    {
        using var connection = _connections.OpenReader();
        if (connection.Int64($"SELECT value FROM meta WHERE key = '{MembersSavedKey}'") is not { } savedUs) return null;
        using var command = connection.Command("SELECT name, address, incarnation, state, state_since_us FROM members ORDER BY name");
        using var reader = command.ExecuteReader();
        var members = new List<PersistedMember>();
        int skipped = 0;
        while (reader.Read())
        {
            if (TryReadMember(reader) is { } member) members.Add(member);
            else skipped++;
        }
        return new MembershipSnapshot(Core.UnixMicros.IsInstant(savedUs) ? Core.UnixMicros.ToInstant(savedUs) : DateTimeOffset.UnixEpoch, members, skipped);
    }

    /// <summary>A saved row that does not describe a valid member (hand-edited, or from a bug) is skipped, never fatal.</summary>
    private static PersistedMember? TryReadMember(SqliteDataReader reader)
    {
        if (reader.GetValue(0) is not string name || reader.GetValue(1) is not string address
            || reader.GetValue(2) is not long incarnation || reader.GetValue(3) is not long state || reader.GetValue(4) is not long since)
            return null;
        if (!StoredName.IsValid(name, NodeId.MaxLength) || !StoredName.IsValid(address, GossipAddress.MaxLength)) return null;
        if (incarnation is < 0 or > uint.MaxValue || !Enum.IsDefined((MemberState)(byte)state) || state is < 0 or > byte.MaxValue) return null;
        if (!Core.UnixMicros.IsInstant(since)) return null;
        return new PersistedMember(new NodeId(name), new GossipAddress(address), (uint)incarnation, (MemberState)state, Core.UnixMicros.ToInstant(since));
    }
}
