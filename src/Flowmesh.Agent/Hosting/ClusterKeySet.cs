using System.Globalization;
using System.Text;
using Flowmesh.Core.Sketches;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// The contents of a cluster key file (docs/gossip-security.md "Key rotation"): one or more transport keys, one per
/// line, the first the primary (it seals; every listed key opens), and optionally the sketch key on a line
/// <c>sketch &lt;32 hex digits&gt;</c>. A file of one key is today's file: its sketch key is derived from that key
/// (<see cref="SketchKeyDerivation"/>). Why a separate sketch line: records are hashed with the sketch key, so it must
/// outlive any transport key; <c>flowmesh key rotate</c> writes the derived key down before a second transport key
/// appears, so rotating a leaked transport key keeps every stored record readable and mergeable. Lines starting with
/// '#' are comments. Parsing never echoes key material in its messages.
/// </summary>
internal sealed class ClusterKeySet
{
    private const string SketchPrefix = "sketch ";

    private readonly byte[]? _sketchBytes;

    private ClusterKeySet(IReadOnlyList<ClusterKey> keys, byte[]? sketchBytes)
    {
        Keys = keys;
        _sketchBytes = sketchBytes;
    }

    /// <summary>Transport keys, primary first.</summary>
    public IReadOnlyList<ClusterKey> Keys { get; }

    public ClusterKey Primary => Keys[0];

    /// <summary>Whether the file names its sketch key (else it is derived from the only transport key).</summary>
    public bool HasSketchLine => _sketchBytes is not null;

    /// <summary>The key every sketch is hashed with: the file's sketch line, or derived from its only transport key.</summary>
    public SketchHashKey SketchKey => _sketchBytes is { } bytes ? new SketchHashKey(bytes) : SketchKeyDerivation.FromClusterKey(Primary);

    private byte[] SketchBytes => _sketchBytes ?? SketchKeyDerivation.DeriveBytes(Primary);

    public static ClusterKeySet Of(ClusterKey primary) => new([primary], null);

    public static ClusterKeySet Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var keys = new List<ClusterKey>();
        byte[]? sketch = null;
        int number = 0;
        foreach (string raw in text.Split('\n'))
        {
            number++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (line.StartsWith(SketchPrefix, StringComparison.Ordinal))
            {
                if (sketch is not null) throw new FormatException($"line {number}: a second sketch line");
                string hex = line[SketchPrefix.Length..].Trim();
                byte[] bytes;
                try
                {
                    bytes = hex.Length == 32 ? Convert.FromHexString(hex) : throw new FormatException();
                }
                catch (FormatException)
                {
                    throw new FormatException($"line {number}: a sketch key is 16 bytes as 32 hex digits");
                }
                sketch = bytes;
                continue;
            }
            ClusterKey key;
            try
            {
                key = ClusterKey.Parse(line);
            }
            catch (FormatException e)
            {
                throw new FormatException($"line {number}: {e.Message}", e);
            }
            if (keys.Any(k => k.Id == key.Id && k.ExportBase64() == key.ExportBase64()))
                throw new FormatException($"line {number}: key {key.Id:x8} is listed twice");
            keys.Add(key);
        }
        if (keys.Count == 0) throw new FormatException("no cluster key in the file (create one with 'flowmesh keygen')");
        if (keys.Count > Keyring.MaxKeys) throw new FormatException($"{keys.Count} keys; a keyring holds at most {Keyring.MaxKeys}");
        if (keys.Count > 1 && sketch is null)
            throw new FormatException("several keys but no 'sketch' line: the sketch key would change with the primary and stored history would become unreadable (add keys with 'flowmesh key rotate', which writes it)");
        return new ClusterKeySet(keys, sketch);
    }

    /// <summary>The file text: a comment, the keys primary first, the sketch line when there is one.</summary>
    public string Format()
    {
        var text = new StringBuilder();
        text.Append("# flowmesh cluster keys: the first seals, every key opens (docs/gossip-security.md \"Key rotation\"). Keep this file secret (mode 0600).\n");
        foreach (var key in Keys) text.Append(key.ExportBase64()).Append('\n');
        if (_sketchBytes is { } sketch) text.Append(SketchPrefix).Append(Convert.ToHexStringLower(sketch)).Append('\n');
        return text.ToString();
    }

    /// <summary>A new transport key after the others (not primary yet); the sketch key written down so it stays.</summary>
    public ClusterKeySet WithNewKey(ClusterKey key)
    {
        if (Keys.Count >= Keyring.MaxKeys) throw new FormatException($"a keyring holds at most {Keyring.MaxKeys} keys; remove retired keys first ('flowmesh key remove')");
        return new([.. Keys, key], SketchBytes);
    }

    /// <summary>The key with this id (8 hex digits, as <c>flowmesh key list</c> prints it) made primary.</summary>
    public ClusterKeySet WithPrimary(string id)
    {
        var key = Find(id);
        return new ClusterKeySet([key, .. Keys.Where(k => !ReferenceEquals(k, key))], _sketchBytes);
    }

    /// <summary>The key with this id removed; the primary cannot be (make another primary first).</summary>
    public ClusterKeySet Without(string id)
    {
        var key = Find(id);
        if (ReferenceEquals(key, Primary)) throw new FormatException($"key {key.Id:x8} is the primary; make another key primary first ('flowmesh key use')");
        return new ClusterKeySet([.. Keys.Where(k => !ReferenceEquals(k, key))], SketchBytes);
    }

    public static string IdText(ClusterKey key) => key.Id.ToString("x8", CultureInfo.InvariantCulture);

    private ClusterKey Find(string id)
    {
        var matches = Keys.Where(k => string.Equals(IdText(k), id.Trim(), StringComparison.OrdinalIgnoreCase)).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new FormatException($"no key with id {id} in the file (see 'flowmesh key list')"),
            _ => throw new FormatException($"two keys share id {id}; remove one by editing the file"),
        };
    }
}
