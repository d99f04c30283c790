using System.Security.Cryptography;
using Flowmesh.Agent.Storage;
using Flowmesh.Core.Epochs;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Records;

namespace Flowmesh.Agent.Tests.Storage;

/// <summary>A fresh data directory per test (removed afterwards) and deterministic records.</summary>
internal sealed class StorageFixture : IDisposable
{
    public static readonly NodeId Self = new("self");

    public StorageFixture()
    {
        Root = Directory.CreateTempSubdirectory("flowmesh-storage-test-").FullName;
        DataDirectory = Path.Combine(Root, "data");
    }

    public string Root { get; }

    public string DataDirectory { get; }

    public string DatabasePath => Path.Combine(DataDirectory, AgentDatabase.FileName);

    public AgentDatabase Open(StorageOptions? options = null, TimeProvider? time = null) =>
        AgentDatabase.Open(DataDirectory, Self, options, time);

    public static VerifiedRecord Record(string origin, long startMicros, int size = 300, long lengthMicros = 60_000_000, int salt = 0)
    {
        var id = new EpochId(origin, startMicros, lengthMicros);
        var envelope = new byte[size];
        new Random(unchecked((int)OriginDigest.IdHash(id) ^ salt)).NextBytes(envelope);
        return new VerifiedRecord(id, Convert.ToHexStringLower(SHA256.HashData(envelope)), envelope);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
