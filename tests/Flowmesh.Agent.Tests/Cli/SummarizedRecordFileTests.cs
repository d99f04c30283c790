using Flowmesh.Agent.Cli;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Sketches;

namespace Flowmesh.Agent.Tests.Cli;

public sealed class SummarizedRecordFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fmepo-file-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static EpochRecord Record(SketchHashKey key, long start)
    {
        var summary = new EpochSummary(new EpochId("node", start, 10_000_000), key);
        summary.Add(new FlowTableDelta(IpProtocol.Udp, IpAddress128.Parse("10.0.0.1"), 5000, IpAddress128.Parse("10.0.0.2"), 53, 2, 160, 2, 400, true, start, start));
        return summary.Seal();
    }

    [Fact]
    public void AppendingAddsFramesThatReadBackInOrder()
    {
        string path = Path.Combine(_directory, "a.fms");
        var key = SummarizedRecordFile.DefaultKey;
        using (var file = SummarizedRecordFile.OpenForAppend(path)) SummarizedRecordFile.Append(file, Record(key, 0));
        using (var file = SummarizedRecordFile.OpenForAppend(path)) SummarizedRecordFile.Append(file, Record(key, 10_000_000));
        var records = SummarizedRecordFile.ReadAll(path, key);
        Assert.Equal([0L, 10_000_000L], records.Select(r => r.Id.StartMicros));
    }

    [Fact]
    public void TruncatedFilesAndForeignFilesAreClearErrors()
    {
        string path = Path.Combine(_directory, "b.fms");
        using (var file = SummarizedRecordFile.OpenForAppend(path)) SummarizedRecordFile.Append(file, Record(SummarizedRecordFile.DefaultKey, 0));
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^10]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => SummarizedRecordFile.ReadAll(path, SummarizedRecordFile.DefaultKey)).Message);
        File.WriteAllBytes(path, bytes[..10]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => SummarizedRecordFile.ReadAll(path, SummarizedRecordFile.DefaultKey)).Message);

        string other = Path.Combine(_directory, "c.txt");
        File.WriteAllText(other, "not a summary");
        Assert.Contains("not a Flowmesh summary file", Assert.Throws<InvalidDataException>(() => SummarizedRecordFile.ReadAll(other, SummarizedRecordFile.DefaultKey)).Message);
        Assert.Throws<InvalidDataException>(() => SummarizedRecordFile.OpenForAppend(other).Dispose());
        Assert.Equal("not a summary", File.ReadAllText(other));
    }

    [Fact]
    public void AKeyMismatchNamesTheKeyFileOption()
    {
        string keyPath = Path.Combine(_directory, "cluster.key");
        File.WriteAllText(keyPath, "00112233445566778899aabbccddeeff\n");
        var key = SummarizedRecordFile.LoadKey(keyPath);
        Assert.NotEqual(SummarizedRecordFile.DefaultKey.Fingerprint, key.Fingerprint);
        string path = Path.Combine(_directory, "d.fms");
        using (var file = SummarizedRecordFile.OpenForAppend(path)) SummarizedRecordFile.Append(file, Record(key, 0));
        var e = Assert.Throws<InvalidDataException>(() => SummarizedRecordFile.ReadAll(path, SummarizedRecordFile.DefaultKey));
        Assert.Contains("--key-file", e.Message);
        Assert.Single(SummarizedRecordFile.ReadAll(path, key));

        File.WriteAllText(keyPath, "short");
        Assert.Throws<InvalidDataException>(() => SummarizedRecordFile.LoadKey(keyPath));
    }
}
