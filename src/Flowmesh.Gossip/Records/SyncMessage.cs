using Flowmesh.Core.Epochs;

namespace Flowmesh.Gossip.Records;

/// <summary>
/// The messages of one anti-entropy session (layout in <see cref="SyncCodec"/> and docs/replication.md). A session
/// is two request/response exchanges over <c>IGossipStreams</c>, initiator → responder:
/// <list type="number">
/// <item><see cref="DigestRequest"/> → <see cref="IdListReply"/>: per-origin digests; ids only where they differ.</item>
/// <item><see cref="ExchangeRequest"/> (wants + pushes) → <see cref="RecordsReply"/> (the wanted records).</item>
/// </list>
/// </summary>
public abstract record SyncMessage;

/// <summary>The initiator's digest of every origin it holds; the responder lists ids that started at or after <paramref name="SinceMicros"/>.
/// <paramref name="Scope"/>: what the session reconciles (null: every record, flat replication).</summary>
public sealed record DigestRequest(long SinceMicros, IReadOnlyList<OriginDigest> Digests, SyncScope? Scope = null) : SyncMessage;

/// <summary>For each origin whose digests differ, the responder's ids (newest first; empty = holds none).</summary>
public sealed record IdListReply(IReadOnlyList<OriginIds> Origins) : SyncMessage;

/// <summary>Ids of one origin, newest first. <paramref name="Truncated"/>: more ids exist than were listed.</summary>
public sealed record OriginIds(string Origin, IReadOnlyList<EpochId> Ids, bool Truncated);

/// <summary>Ids the initiator wants (newest first) and signed envelopes it pushes (newest first, within the budget).</summary>
public sealed record ExchangeRequest(IReadOnlyList<EpochId> Wants, IReadOnlyList<byte[]> Pushes, SyncScope? Scope = null) : SyncMessage;

/// <summary>Signed envelopes of wanted records, newest first, within the responder's budget.</summary>
public sealed record RecordsReply(IReadOnlyList<byte[]> Envelopes) : SyncMessage;

/// <summary>
/// The responder does not serve <paramref name="Refused"/> (null: a flat request to a node that replicates by zone).
/// <paramref name="ServedLeaf"/>: the leaf zone whose records it does serve (null: none, it replicates flat), so the
/// initiator learns where the responder sits without asking membership.
/// </summary>
public sealed record ScopeRefused(SyncScope? Refused, Flowmesh.Core.Zones.ZonePath? ServedLeaf) : SyncMessage;
