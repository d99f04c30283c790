using System.Security.Cryptography;

namespace Flowmesh.Gossip.Security;

/// <summary>
/// Which public key each origin signs with, and the check that a record comes from the key bound to its origin.
/// Binding is trust on first use (TOFU): the first validly signed record of an origin binds that NodeId to its
/// key; any later record of the origin signed by another key is refused and counted, so once bound, a node
/// cannot forge another node's records. The first contact itself is not protected (an insider who speaks first
/// for a not-yet-seen NodeId wins that name); <see cref="Pin"/> pre-binds keys distributed out of band, and the
/// caller persists the bindings (<see cref="Bindings"/>) so a restart does not reopen the TOFU window.
/// Bounded: at most MaxOrigins bindings. Thread-safe.
/// </summary>
public sealed class TrustedOrigins : IOriginTrust
{
    private readonly Dictionary<NodeId, byte[]> _keys = [];
    // Bound keys imported once: importing validates the point, which costs about as much as the verification itself.
    // Bindings never change, so an entry never goes stale; each instance is used under its own lock.
    private readonly Dictionary<NodeId, ECDsa> _verifiers = [];
    private readonly object _lock = new();

    public TrustedOrigins(int maxOrigins = 100_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxOrigins, 1);
        MaxOrigins = maxOrigins;
    }

    public int MaxOrigins { get; }

    /// <summary>
    /// Raised (outside the lock, on the accepting thread) when a record binds a new origin on first use, with the
    /// origin and its key. The agent persists it and re-pins every persisted binding at start, so a restart never
    /// reopens the TOFU window. Not raised by <see cref="Pin"/>: pinned keys already come from somewhere durable.
    /// </summary>
    public event Action<NodeId, byte[]>? OriginBound;

    public RecordRejectCounters Rejections { get; } = new();

    public int Count
    {
        get { lock (_lock) return _keys.Count; }
    }

    /// <summary>A snapshot of every binding (origin → SubjectPublicKeyInfo), for persisting.</summary>
    public IReadOnlyDictionary<NodeId, byte[]> Bindings
    {
        get { lock (_lock) return _keys.ToDictionary(kv => kv.Key, kv => (byte[])kv.Value.Clone()); }
    }

    /// <summary>
    /// Binds an origin to a key known out of band (this node's own identity, a persisted binding, an operator
    /// list). Throws if the origin is already bound to a different key: that conflict needs a human.
    /// </summary>
    public void Pin(NodeId origin, ReadOnlySpan<byte> publicKey)
    {
        using (var key = SigningAlgorithm.TryImportPublicKey(publicKey))
            if (key is null) throw new ArgumentException("not a P-256 SubjectPublicKeyInfo", nameof(publicKey));
        lock (_lock)
        {
            if (_keys.TryGetValue(origin, out var bound))
            {
                if (!CryptographicOperations.FixedTimeEquals(bound, publicKey))
                    throw new InvalidOperationException($"origin {origin} is already bound to a different key");
                return;
            }
            if (_keys.Count >= MaxOrigins) throw new InvalidOperationException($"at most {MaxOrigins} origins can be bound");
            _keys[origin] = publicKey.ToArray();
        }
    }

    public bool TryGetKey(NodeId origin, out byte[]? publicKey)
    {
        lock (_lock)
        {
            var found = _keys.TryGetValue(origin, out var key);
            publicKey = found ? (byte[])key!.Clone() : null;
            return found;
        }
    }

    /// <summary>Decodes and verifies an envelope from the network. Never throws; a refusal is counted.</summary>
    public bool TryAccept(ReadOnlySpan<byte> encoded, out SignedRecord? record, out RecordRejection rejection)
    {
        if (!SignedRecord.TryDecode(encoded, out record, out rejection))
        {
            Rejections.Count(rejection);
            return false;
        }
        if (TryAccept(record!, out rejection)) return true;
        record = null;
        return false;
    }

    /// <summary>Verifies the signature, then the binding of its key to the origin (binding it on first use).</summary>
    public bool TryAccept(SignedRecord record, out RecordRejection rejection)
    {
        ArgumentNullException.ThrowIfNull(record);
        var verdict = Check(record, out var newlyBound);
        if (verdict is { } refused)
        {
            Rejections.Count(refused);
            rejection = refused;
            return false;
        }
        if (newlyBound) OriginBound?.Invoke(record.Origin, (byte[])record.PublicKey.Clone());
        rejection = default;
        return true;
    }

    private RecordRejection? Check(SignedRecord record, out bool newlyBound)
    {
        newlyBound = false;
        // Signature first: an unsigned claim must never create a binding.
        if (!HasValidSignature(record)) return RecordRejection.BadSignature;
        lock (_lock)
        {
            if (_keys.TryGetValue(record.Origin, out var bound))
                return CryptographicOperations.FixedTimeEquals(bound, record.PublicKey) ? null : RecordRejection.KeyMismatch;
            if (_keys.Count >= MaxOrigins) return RecordRejection.TooManyOrigins;
            _keys[record.Origin] = (byte[])record.PublicKey.Clone();
            newlyBound = true;
            return null;
        }
    }

    /// <summary>With the origin's bound key when the record carries it (imported once), else with the record's own key.</summary>
    private bool HasValidSignature(SignedRecord record)
    {
        ECDsa? verifier = null;
        lock (_lock)
        {
            if (_keys.TryGetValue(record.Origin, out var bound) && CryptographicOperations.FixedTimeEquals(bound, record.PublicKey)
                && !_verifiers.TryGetValue(record.Origin, out verifier))
            {
                verifier = SigningAlgorithm.TryImportPublicKey(bound);
                if (verifier is not null) _verifiers[record.Origin] = verifier;
            }
        }
        if (verifier is null) return record.HasValidSignature();
        lock (verifier) return record.HasValidSignature(verifier);
    }
}
