using Flowmesh.Agent.Storage;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Security;
using Microsoft.Data.Sqlite;

namespace Flowmesh.Agent.Tests.Storage;

public sealed class NodeStateTests : IDisposable
{
    private readonly StorageFixture _fixture = new();

    [Fact]
    public void TheIdentityIsGeneratedOnceAndReloadedOnEveryOpen()
    {
        byte[] publicKey;
        using (var database = _fixture.Open()) publicKey = database.Identity.PublicKey;
        using (var database = _fixture.Open())
        {
            Assert.Equal(publicKey, database.Identity.PublicKey);
            // The reloaded key signs: a record it signs verifies against the first open's public key.
            var signed = SignedRecord.Create(database.Identity, StorageFixture.Self, [1, 2, 3]);
            var trusted = new TrustedOrigins();
            trusted.Pin(StorageFixture.Self, publicKey);
            Assert.True(trusted.TryAccept(signed.Encode(), out _, out _));
            Assert.DoesNotContain("PRIVATE", database.ToString(), StringComparison.OrdinalIgnoreCase);
        }
        using var other = new StorageFixture();
        using var elsewhere = other.Open();
        Assert.NotEqual(publicKey, elsewhere.Identity.PublicKey);
    }

    [Fact]
    public void EveryOpenStartsWithAHigherIncarnationThanEverSaved()
    {
        using (var database = _fixture.Open()) Assert.Equal(0u, database.Incarnation);
        using (var database = _fixture.Open())
        {
            Assert.Equal(1u, database.Incarnation);
            database.SaveIncarnation(41); // refuted a suspicion while running
            database.SaveIncarnation(7);  // lower: ignored
        }
        using (var database = _fixture.Open()) Assert.Equal(42u, database.Incarnation);
        using (var database = _fixture.Open()) Assert.Equal(43u, database.Incarnation);
    }

    [Fact]
    public void OriginKeyBindingsRoundTripAndTheFirstBindingWins()
    {
        using var a = NodeIdentity.Generate();
        using var b = NodeIdentity.Generate();
        using var c = NodeIdentity.Generate();
        using (var database = _fixture.Open())
        {
            Assert.Equal(2, database.OriginKeys.Save(new Dictionary<NodeId, byte[]> { [new("a")] = a.PublicKey, [new("b")] = b.PublicKey }));
            Assert.Equal(0, database.OriginKeys.Save(new Dictionary<NodeId, byte[]> { [new("a")] = c.PublicKey }));
        }
        using (var database = _fixture.Open())
        {
            var keys = database.OriginKeys.Load();
            Assert.Equal(2, keys.Count);
            Assert.Equal(a.PublicKey, keys[new NodeId("a")]);
            Assert.Equal(b.PublicKey, keys[new NodeId("b")]);

            var trusted = new TrustedOrigins();
            Assert.Equal(3, database.OriginKeys.Pin(trusted)); // a, b and this node's own key
            Assert.True(trusted.TryGetKey(StorageFixture.Self, out var own));
            Assert.Equal(database.Identity.PublicKey, own);
            // Re-pinned: a record of "a" signed by another key is refused after the restart.
            var forged = SignedRecord.Create(c, new NodeId("a"), [9]);
            Assert.False(trusted.TryAccept(forged, out var rejection));
            Assert.Equal(RecordRejection.KeyMismatch, rejection);
        }
    }

    [Fact]
    public void AStoredKeyThatIsNotP256IsSkippedWhenPinning()
    {
        using (var database = _fixture.Open())
            database.OriginKeys.Save(new Dictionary<NodeId, byte[]> { [new("junk")] = [1, 2, 3] });
        using (var database = _fixture.Open())
        {
            var trusted = new TrustedOrigins();
            Assert.Equal(1, database.OriginKeys.Pin(trusted));
            Assert.False(trusted.TryGetKey(new NodeId("junk"), out _));
        }
    }

    [Fact]
    public void TheMembershipSnapshotRoundTripsAndReplacesThePreviousOne()
    {
        var t = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);
        var first = new[]
        {
            new PersistedMember(new NodeId("p1"), new GossipAddress("10.0.0.1:7946"), 3, MemberState.Alive, t),
            new PersistedMember(new NodeId("p2"), new GossipAddress("10.0.0.2:7946"), 9, MemberState.Dead, t.AddMinutes(-5)),
            new PersistedMember(new NodeId("p3"), new GossipAddress("[fe80::1]:7946"), 0, MemberState.Left, t.AddSeconds(-1)),
        };
        using (var database = _fixture.Open())
        {
            Assert.Null(database.Membership.Load());
            database.Membership.Save(first, t);
        }
        using (var database = _fixture.Open())
        {
            var snapshot = database.Membership.Load()!;
            Assert.Equal(t, snapshot.SavedAt);
            Assert.Equal(first, snapshot.Members);
            Assert.Equal(0, snapshot.SkippedRows);
            database.Membership.Save([first[1] with { State = MemberState.Suspect, Incarnation = 10 }], t.AddMinutes(1));
            snapshot = database.Membership.Load()!;
            Assert.Equal([first[1] with { State = MemberState.Suspect, Incarnation = 10 }], snapshot.Members);
            Assert.Equal(t.AddMinutes(1), snapshot.SavedAt);
        }
    }

    [Fact]
    public void ALiveMembersAgeOnTheNodeClockBecomesWallClockTime()
    {
        var member = new Member(new NodeId("p"), new GossipAddress("a:1"), 4, MemberState.Suspect, TimeSpan.FromSeconds(10));
        var wall = DateTimeOffset.FromUnixTimeSeconds(1_000_000);
        var persisted = PersistedMember.From(member, nodeNow: TimeSpan.FromSeconds(25), wallNow: wall);
        Assert.Equal(new PersistedMember(member.Id, member.Address, 4, MemberState.Suspect, wall.AddSeconds(-15)), persisted);
    }

    [Fact]
    public void MemberRowsThatNoLongerDecodeAreSkippedAndCounted()
    {
        var t = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        using (var database = _fixture.Open())
            database.Membership.Save([new PersistedMember(new NodeId("good"), new GossipAddress("x:1"), 1, MemberState.Alive, t)], t);
        using (var raw = new SqliteConnection($"Data Source={_fixture.DatabasePath};Pooling=False"))
        {
            raw.Open();
            using var command = raw.CreateCommand();
            command.CommandText = string.Join('\n',
                "INSERT INTO members VALUES ('bad-state', 'x:1', 1, 9, 0);",
                "INSERT INTO members VALUES ('bad-incarnation', 'x:1', -1, 0, 0);",
                "INSERT INTO members VALUES ('bad-address', '', 1, 0, 0);",
                "INSERT INTO members VALUES ('bad-type', 'x:1', 'one', 0, 0);",
                $"INSERT INTO members VALUES ('{new string('n', 65)}', 'x:1', 1, 0, 0);");
            command.ExecuteNonQuery();
        }
        using (var database = _fixture.Open())
        {
            var snapshot = database.Membership.Load()!;
            Assert.Equal(["good"], snapshot.Members.Select(m => m.Id.Value));
            Assert.Equal(5, snapshot.SkippedRows);
        }
    }

    [Fact]
    public void ADamagedStoredIdentityIsAClearErrorNotANewKey()
    {
        using (_fixture.Open()) { }
        Execute("UPDATE identity SET pkcs8 = x'3000'");
        var error = Assert.Throws<AgentDatabaseException>(() => _fixture.Open());
        Assert.Contains("node identity", error.Message);
        using var raw = Raw();
        using var command = raw.CreateCommand();
        command.CommandText = "SELECT hex(pkcs8) FROM identity";
        Assert.Equal("3000", command.ExecuteScalar()); // not replaced by a fresh key
    }

    [Fact]
    public void OriginKeyRowsThatDoNotDecodeAreLeftOut()
    {
        using (var database = _fixture.Open())
            database.OriginKeys.Save(new Dictionary<NodeId, byte[]> { [new("ok")] = [1] });
        Execute("INSERT INTO origin_keys VALUES ('', x'01', 0); INSERT INTO origin_keys VALUES ('text-key', 'abc', 0); " +
                $"INSERT INTO origin_keys VALUES ('{new string('n', 65)}', x'01', 0)");
        using var reopened = _fixture.Open();
        Assert.Equal(["ok"], reopened.OriginKeys.Load().Keys.Select(k => k.Value));
    }

    private SqliteConnection Raw()
    {
        var connection = new SqliteConnection($"Data Source={_fixture.DatabasePath};Mode=ReadWrite;Pooling=False");
        connection.Open();
        return connection;
    }

    private void Execute(string sql)
    {
        using var raw = Raw();
        using var command = raw.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose() => _fixture.Dispose();
}
