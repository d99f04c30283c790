namespace Flowmesh.Gossip.Records;

/// <summary>Records of at least <paramref name="Length"/> (and shorter than the next tier's) are kept for <paramref name="Retention"/>.</summary>
public readonly record struct RetentionTier(TimeSpan Length, TimeSpan Retention);
