using Flowmesh.Gossip;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Security;
using Flowmesh.Gossip.Transport;

namespace Flowmesh.Agent.Enrolment;

/// <summary>
/// Spreads the cluster authority's newest revocation list by push-pull over its own stream kind
/// (<see cref="GossipStreamKind.Revocations"/>): every round the agent sends its list to one random alive peer and
/// takes the peer's back when that is newer. A list is installed only when the authority signed it and its serial is
/// higher (<see cref="CertificateCredentialVerifier.TryInstallRevocations(ReadOnlySpan{byte})"/>), so a peer can
/// delay a revocation at most until another peer gossips with us, never undo one. The newest list is persisted in
/// &lt;data-dir&gt;/revocations and read back at start; the authority directory's <c>revocations</c> file (where
/// <c>flowmesh ca revoke</c> writes) is re-read whenever it changes, which is how a revocation enters the cluster.
/// </summary>
public sealed class RevocationSpreading
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private readonly CertificateCredentialVerifier _verifier;
    private readonly string _persisted;
    private readonly string? _authorityFile;
    private readonly TextWriter _log;
    private DateTime _authorityFileWritten;

    public RevocationSpreading(CertificateCredentialVerifier verifier, string dataDirectory, string? authorityDirectory, TextWriter log)
    {
        _verifier = verifier;
        _persisted = Path.Combine(dataDirectory, AuthorityDirectory.RevocationsFile);
        _authorityFile = authorityDirectory is null ? null : Path.Combine(authorityDirectory, AuthorityDirectory.RevocationsFile);
        _log = log;
        _verifier.RevocationsChanged += Persist;
        LoadFile(_persisted);
        RereadAuthorityFile();
    }

    /// <summary>Lists this agent installed from peers (not from its own files).</summary>
    public long ListsLearned => Interlocked.Read(ref _learned);
    private long _learned;

    /// <summary>Lists peers sent this agent (asking or replying), whatever their serial: installed, older or refused.</summary>
    public long ListsReceived => Interlocked.Read(ref _received);
    private long _received;

    /// <summary>The stream handler: installs what the asker sent, replies with ours when it is newer than theirs.</summary>
    public ValueTask<byte[]?> HandleAsync(NodeId sender, ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        ulong theirs = 0;
        if (!request.IsEmpty)
        {
            Interlocked.Increment(ref _received);
            if (_verifier.TryInstallRevocations(request.Span)) Learned(sender);
            if (RevocationList.TryDecode(request.Span, out var sent, out _)) theirs = sent!.Serial;
        }
        var mine = _verifier.Revocations;
        return ValueTask.FromResult<byte[]?>(mine is not null && mine.Serial > theirs ? mine.Encode() : []);
    }

    public async Task RunAsync(IGossipStreams streams, Func<IReadOnlyList<GossipAddress>> alivePeers, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            RereadAuthorityFile();
            var peers = alivePeers();
            if (peers.Count == 0) continue;
            var peer = peers[Random.Shared.Next(peers.Count)];
            var reply = await streams.RequestAsync(peer, GossipStreamKind.Revocations, _verifier.Revocations?.Encode() ?? [], cancellationToken).ConfigureAwait(false);
            if (reply is not { Length: > 0 }) continue;
            Interlocked.Increment(ref _received);
            if (_verifier.TryInstallRevocations(reply)) Learned(null);
        }
    }

    private void Learned(NodeId? from)
    {
        Interlocked.Increment(ref _learned);
        _log.WriteLine($"flowmesh: revocation list {_verifier.Revocations?.Serial} learned from {(from is { } f ? f.Value : "a peer")}: {_verifier.Revocations?.Revoked.Count} certificates revoked");
    }

    private void RereadAuthorityFile()
    {
        if (_authorityFile is null || !File.Exists(_authorityFile)) return;
        var written = File.GetLastWriteTimeUtc(_authorityFile);
        if (written == _authorityFileWritten) return;
        _authorityFileWritten = written;
        if (LoadFile(_authorityFile))
            _log.WriteLine($"flowmesh: revocation list {_verifier.Revocations?.Serial} from {_authorityFile}: {_verifier.Revocations?.Revoked.Count} certificates revoked");
    }

    private bool LoadFile(string path)
    {
        try
        {
            return File.Exists(path) && _verifier.TryInstallRevocations(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.WriteLine($"flowmesh: cannot read revocation list {path}: {e.Message}");
            return false;
        }
    }

    private void Persist(RevocationList list)
    {
        try
        {
            OwnerOnlyFile.Write(_persisted, list.Encode(), overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Still in force for this run; a restart would learn it again from the authority file or a peer.
            _log.WriteLine($"flowmesh: could not save revocation list {list.Serial}: {e.Message}");
        }
    }
}
