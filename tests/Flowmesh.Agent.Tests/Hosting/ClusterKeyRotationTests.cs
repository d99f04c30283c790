using Flowmesh.Agent.Hosting;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Agent.Tests.Hosting;

/// <summary>
/// Issue 16: a key file of several transport keys and a pinned sketch key, and a running keyring that follows it. The
/// packets are real sealed packets: what one node seals, another opens, through every step of a rotation.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ClusterKeyRotationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fmh-rotate-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Path1 => Path.Combine(_directory, "cluster.key");

    [Fact]
    public void Rotating_keeps_the_sketch_key_of_the_first_key_through_every_step_and_after_the_old_key_is_gone()
    {
        var original = ClusterKeyFile.LoadOrCreate(Path1, createIfMissing: true, out _);
        ulong sketch = original.SketchKey.Fingerprint;
        Assert.Equal(SketchKeyDerivation.FromClusterKey(original.Primary).Fingerprint, sketch);
        Assert.False(original.HasSketchLine);

        var added = original.WithNewKey(ClusterKey.Generate());
        ClusterKeyFile.Write(Path1, added);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path1));
        var read = ClusterKeyFile.Read(Path1);
        Assert.True(read.HasSketchLine);
        Assert.Equal([original.Primary.Id, added.Keys[1].Id], read.Keys.Select(k => k.Id));
        Assert.Equal(sketch, read.SketchKey.Fingerprint);

        string newId = ClusterKeySet.IdText(added.Keys[1]);
        var switched = read.WithPrimary(newId);
        Assert.Equal(added.Keys[1].Id, switched.Primary.Id);
        var retired = switched.Without(ClusterKeySet.IdText(original.Primary));
        ClusterKeyFile.Write(Path1, retired);
        var final = ClusterKeyFile.Read(Path1);
        Assert.Equal([added.Keys[1].Id], final.Keys.Select(k => k.Id));
        Assert.Equal(sketch, final.SketchKey.Fingerprint); // derived from the new key it would differ
        Assert.NotEqual(sketch, SketchKeyDerivation.FromClusterKey(final.Primary).Fingerprint);
        Assert.DoesNotContain(original.Primary.ExportBase64(), File.ReadAllText(Path1));
    }

    [Fact]
    public void Key_files_that_would_lose_history_or_break_the_primary_are_refused()
    {
        var one = ClusterKeySet.Of(ClusterKey.Generate());
        string a = one.Primary.ExportBase64(), b = ClusterKey.Generate().ExportBase64();
        Assert.Contains("no 'sketch' line", Assert.Throws<FormatException>(() => ClusterKeySet.Parse($"{a}\n{b}\n")).Message);
        Assert.Contains("listed twice", Assert.Throws<FormatException>(() => ClusterKeySet.Parse($"{a}\n{a}\nsketch {new string('0', 32)}\n")).Message);
        var e = Assert.Throws<FormatException>(() => ClusterKeySet.Parse($"{a}\nsketch 12\n"));
        Assert.DoesNotContain(a, e.Message);
        Assert.Contains("primary", Assert.Throws<FormatException>(() => one.Without(ClusterKeySet.IdText(one.Primary))).Message);
        Assert.Contains("no key with id", Assert.Throws<FormatException>(() => one.WithPrimary("00000000")).Message);
        Assert.Equal(one.Primary.Id, ClusterKeySet.Parse($"# a comment\n\n{a}\n").Primary.Id);
    }

    [Fact]
    public void A_running_keyring_follows_the_file_and_packets_keep_flowing_through_the_rotation()
    {
        var keys = ClusterKeyFile.LoadOrCreate(Path1, createIfMissing: true, out _);
        var sketch = keys.SketchKey;
        var log = new StringWriter();
        // Two nodes: "a" follows the file at once, "b" lags one step behind (a copy not yet arrived).
        var ringA = ClusterKeyReload.KeyringOf(keys);
        var ringB = ClusterKeyReload.KeyringOf(keys);
        var reload = new ClusterKeyReload(Path1, ringA, sketch, log);
        Assert.False(reload.Check()); // unchanged since the start
        var steps = new List<ClusterKeySet>();
        var rotated = keys.WithNewKey(ClusterKey.Generate());
        steps.Add(rotated);
        steps.Add(rotated.WithPrimary(ClusterKeySet.IdText(rotated.Keys[1])));
        steps.Add(steps[1].Without(ClusterKeySet.IdText(keys.Primary)));
        ClusterKeySet? previous = null;
        foreach (var step in steps)
        {
            ClusterKeyFile.Write(Path1, step);
            Assert.True(reload.Check(), log.ToString());
            if (previous is not null) ClusterKeyReload.Apply(ringB, previous);
            Assert.Equal(step.Primary.Id, ringA.Primary.Id);
            Assert.True(Exchanges(ringA, ringB), $"a -> b after {ringA.Keys.Count} key(s)");
            Assert.True(Exchanges(ringB, ringA), $"b -> a after {ringA.Keys.Count} key(s)");
            previous = step;
        }
        Assert.Equal(3, reload.Reloads);
        Assert.Single(ringA.Keys);
        Assert.DoesNotContain(keys.Primary.ExportBase64(), log.ToString());

        // A file naming another sketch key is not applied while running.
        ClusterKeyFile.Write(Path1, ClusterKeySet.Parse($"{ClusterKey.Generate().ExportBase64()}\n{ClusterKey.Generate().ExportBase64()}\nsketch {new string('1', 32)}\n"));
        Assert.False(reload.Check());
        Assert.Contains("another sketch key", log.ToString());
        Assert.Equal(steps[^1].Primary.Id, ringA.Primary.Id);
    }

    private static bool Exchanges(Keyring from, Keyring to)
    {
        var sealer = new PacketSealer(from, new NodeId("from"));
        var opener = new PacketOpener(to);
        byte[] sealedPacket = sealer.Seal("hello"u8);
        return opener.TryOpen(sealedPacket, out _, out _);
    }
}
