using Flowmesh.Core.Sketches;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// Follows the cluster key file while the agent runs (issue 16, key rotation under load): every
/// <see cref="Interval"/> it reads the file and, when it changed, makes the keyring what the file says: every listed key
/// installed (so it opens), the first one primary (so it seals), keys no longer listed removed. The operator's
/// procedure (docs/gossip-security.md "Key rotation") is three edits of the file, each copied to every node. The sketch
/// key cannot change while running (stored records are hashed with it): a file naming another one is refused until a
/// restart, with a message. A file that does not parse keeps the keys in use and says why, once per change.
/// </summary>
internal sealed class ClusterKeyReload(string path, Keyring keyring, SketchHashKey sketchKey, TextWriter log)
{
    /// <summary>Short enough that a copied file takes effect within a gossip round or two, long enough to cost nothing.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private string? _lastText = ReadText(path); // what the agent started with: only a change is applied

    /// <summary>Times the file changed and the keyring now follows it.</summary>
    public long Reloads => Interlocked.Read(ref _reloads);
    private long _reloads;

    /// <summary>A keyring holding every key of <paramref name="keys"/>, the first primary.</summary>
    public static Keyring KeyringOf(ClusterKeySet keys)
    {
        var keyring = new Keyring(keys.Primary);
        foreach (var key in keys.Keys.Skip(1)) keyring.Install(key);
        return keyring;
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false)) Check();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Reads the file once; true when it changed and the keyring was updated.</summary>
    public bool Check()
    {
        string? text = ReadText(path);
        if (text is null || string.Equals(text, _lastText, StringComparison.Ordinal)) return false;
        _lastText = text;
        ClusterKeySet keys;
        try
        {
            keys = ClusterKeyFile.Read(path);
        }
        catch (FormatException e)
        {
            log.WriteLine($"flowmesh: the cluster key file changed but cannot be used, keeping the keys in use: {e.Message}");
            return false;
        }
        if (keys.SketchKey.Fingerprint != sketchKey.Fingerprint)
        {
            log.WriteLine($"flowmesh: the cluster key file {path} names another sketch key; stored records are hashed with the one in use, so the file is not applied (restore its 'sketch' line; a new sketch key needs every agent restarted and starts a new history)");
            return false;
        }
        Apply(keyring, keys);
        Interlocked.Increment(ref _reloads);
        log.WriteLine($"flowmesh: cluster keys reloaded from {path}: {keys.Keys.Count} key(s), primary {ClusterKeySet.IdText(keys.Primary)}, also accepted {string.Join(", ", keys.Keys.Skip(1).Select(ClusterKeySet.IdText).DefaultIfEmpty("none"))}");
        return true;
    }

    /// <summary>Install every listed key first, then switch the primary, then remove the others: at no moment is the primary missing.</summary>
    internal static void Apply(Keyring keyring, ClusterKeySet keys)
    {
        foreach (var key in keys.Keys) keyring.Install(key);
        keyring.UsePrimary(keys.Primary);
        foreach (var held in keyring.Keys.ToList())
            if (!keys.Keys.Any(k => k.Id == held.Id && k.ExportBase64() == held.ExportBase64())) keyring.Remove(held);
    }

    private static string? ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
