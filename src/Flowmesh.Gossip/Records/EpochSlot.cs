using Flowmesh.Core.Epochs;

namespace Flowmesh.Gossip.Records;

/// <summary>One slot of a grid: [<see cref="StartMicros"/>, + <see cref="LengthMicros"/>); a roll-up slot or an epoch slot.</summary>
public readonly record struct EpochSlot(long StartMicros, long LengthMicros, bool RollUp)
{
    public long EndMicros => StartMicros + LengthMicros;

    /// <summary>Whether a held record of the same origin belongs to this slot and grid (and so counts against it).</summary>
    public bool Holds(EpochId held) => RollUp
        ? held.LengthMicros == LengthMicros && held.StartMicros == StartMicros
        : held.LengthMicros <= LengthMicros && held.StartMicros >= StartMicros && held.StartMicros < EndMicros;
}
