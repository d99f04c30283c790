using Flowmesh.Agent.Hosting;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Agent.Tests.Hosting;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ClusterKeyFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fmh-key-").FullName;

    [Fact]
    public void FirstRunCreatesAPrivateKeyFileAndLaterRunsReadTheSameKey()
    {
        string path = Path.Combine(_directory, "sub", "cluster.key");
        var key = ClusterKeyFile.LoadOrCreate(path, createIfMissing: true, out bool created).Primary;
        Assert.True(created);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(key.ExportBase64(), File.ReadAllText(path).Trim());
        Assert.Equal(32, Convert.FromBase64String(File.ReadAllText(path).Trim()).Length);

        var again = ClusterKeyFile.LoadOrCreate(path, createIfMissing: true, out created);
        Assert.False(created);
        Assert.Equal(key.Id, again.Primary.Id);
        Assert.DoesNotContain(key.ExportBase64(), key.ToString());
    }

    [Fact]
    public void AGivenKeyFileThatIsMissingIsAnErrorNotANewCluster()
    {
        string path = Path.Combine(_directory, "missing.key");
        var e = Assert.Throws<FormatException>(() => ClusterKeyFile.LoadOrCreate(path, createIfMissing: false, out _));
        Assert.Contains("does not exist", e.Message);
        Assert.Contains("flowmesh keygen", e.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void AKeyFileOthersCanReadIsRefusedWithoutEchoingTheKey()
    {
        string path = Path.Combine(_directory, "open.key");
        string secret = ClusterKey.Generate().ExportBase64();
        File.WriteAllText(path, secret);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var e = Assert.Throws<FormatException>(() => ClusterKeyFile.LoadOrCreate(path, createIfMissing: true, out _));
        Assert.Contains("chmod 600", e.Message);
        Assert.DoesNotContain(secret, e.Message);
    }

    [Fact]
    public void AMalformedKeyFileIsRefusedWithoutEchoingItsContent()
    {
        string path = Path.Combine(_directory, "bad.key");
        File.WriteAllText(path, "not-a-key-but-maybe-a-password");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var e = Assert.Throws<FormatException>(() => ClusterKeyFile.LoadOrCreate(path, createIfMissing: true, out _));
        Assert.Contains(path, e.Message);
        Assert.DoesNotContain("maybe-a-password", e.Message);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
