using Flowmesh.Agent.Storage;
using Flowmesh.Agent.StorageCrashWriter;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Membership;

// Usage: Flowmesh.Agent.StorageCrashWriter DATA_DIR FIRST_N
// Opens the agent database, prints "open INCARNATION;", then writes records FIRST_N, FIRST_N+1, ... forever,
// printing "ack N;" only after Write(N) returned (the record must then survive a kill -9), "dup N;" when N was
// already held. The ';' ends a complete line: a kill can cut the last line short, and "ack 1" of "ack 12" is no ack. Every
// 20 records it also saves a membership snapshot and the incarnation, so those writes are interrupted too.
if (args.Length != 2) { Console.Error.WriteLine("usage: DATA_DIR FIRST_N"); return 2; }
var output = Console.Out;
using var database = AgentDatabase.Open(args[0], new NodeId("crash-writer"));
output.WriteLine($"open {database.Incarnation};");
output.Flush();
for (long n = long.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture); ; n++)
{
    bool stored = database.Records.Write(CrashRecords.Make(n));
    output.WriteLine($"{(stored ? "ack" : "dup")} {n};");
    output.Flush();
    if (n % 20 == 0)
    {
        var now = DateTimeOffset.UtcNow;
        database.Membership.Save(
            [.. Enumerable.Range(0, 5).Select(i => new PersistedMember(new NodeId($"peer-{i}"), new GossipAddress($"10.0.0.{i}:7946"), (uint)n, MemberState.Alive, now))],
            now);
        database.SaveIncarnation(database.Incarnation + 1);
    }
}
