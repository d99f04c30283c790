namespace Flowmesh.Agent.Hosting;

/// <summary>A seed from `--join`: a host name or address, and the gossip port (7946 unless given).</summary>
internal readonly record struct JoinTarget(string Host, int Port)
{
    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
