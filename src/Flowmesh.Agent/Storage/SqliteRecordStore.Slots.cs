using Flowmesh.Core.Epochs;
using Flowmesh.Gossip.Records;

namespace Flowmesh.Agent.Storage;

/// <summary>The records table's slot rule (issue 16): one origin's records per epoch slot do not overlap and are few.</summary>
public sealed partial class SqliteRecordStore
{
    /// <summary>
    /// The slot rule (issue 16): false for a record that overlaps one its origin holds in the same slot, or would be one
    /// part too many there (each counted), and for a duplicate id (not counted here). Records in no slot of the grid
    /// are refused by the validator before they get here; the store leaves them to the unique id (tests, old data).
    /// </summary>
    private bool FitsItsSlot(EpochId id)
    {
        if (_slots.SlotOf(id) is not { } slot) return true;
        var p = _heldInSlot.Parameters;
        p[0].Value = id.Origin;
        p[1].Value = slot.StartMicros;
        p[2].Value = slot.RollUp ? slot.StartMicros + 1 : slot.EndMicros;
        p[3].Value = slot.LengthMicros;
        var held = new List<EpochId>();
        using (var reader = _heldInSlot.ExecuteReader())
        {
            while (reader.Read())
            {
                var other = new EpochId(id.Origin, reader.GetInt64(0), reader.GetInt64(1));
                if (other == id) return false; // a duplicate: the first copy stays
                if (slot.Holds(other)) held.Add(other);
            }
        }
        switch (_slots.Judge(id, held))
        {
            case SlotVerdict.Overlaps:
                Interlocked.Increment(ref _refusedOverlapping);
                return false;
            case SlotVerdict.SlotFull:
                Interlocked.Increment(ref _refusedSlotFull);
                return false;
            default:
                return true;
        }
    }
}
