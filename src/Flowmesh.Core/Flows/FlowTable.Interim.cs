namespace Flowmesh.Core.Flows;

/// <summary>
/// Interim export: per-epoch accounting needs each packet in the epoch in which it was observed, not in the
/// epoch in which its flow ended (a flow can span many epochs). With a <see cref="DeltaSink"/> attached, the
/// table remembers per live flow how much it has already handed out (a mark), and emits the difference:
/// <list type="bullet">
/// <item>for every live flow with new traffic when <see cref="ExportInterim"/> is called (an epoch boundary);</item>
/// <item>for a flow whose record ends (timeout, close, eviction, flush, port reuse, active timeout), just before
/// the record is delivered, so nothing observed since the last export is lost with the entry.</item>
/// </list>
/// The marks cost nothing per packet (the counters are the ones the record needs anyway); the work happens at
/// export and at record end. Without a sink the table behaves exactly as before and keeps no marks.
/// </summary>
public sealed partial class FlowTable
{
    private ChunkedArray<FlowTableExportMark>? _marks;
    private Action<FlowTableDelta>? _deltaSink;

    /// <summary>
    /// Receives every <see cref="FlowTableDelta"/>. Set it before the first packet to account for all traffic;
    /// setting it later makes the first delta of existing flows cover everything since their record began.
    /// Like the flow-end callback it must not call back into the table.
    /// </summary>
    public Action<FlowTableDelta>? DeltaSink
    {
        get => _deltaSink;
        set
        {
            _deltaSink = value;
            if (value is not null && _marks is null) _marks = new ChunkedArray<FlowTableExportMark>(_entries.Capacity);
        }
    }

    /// <summary>
    /// Emits, for every live flow with traffic since its previous delta, the counters accumulated since then, and
    /// moves the flow's mark forward. The flow itself (state, initiator, start time, totals of its record) is
    /// untouched, so the records the table delivers later are the same as without interim exports.
    /// </summary>
    public void ExportInterim()
    {
        if (_deltaSink is null) throw new InvalidOperationException("Attach a DeltaSink before exporting interim counters.");
        for (int list = 0; list < ListCount; list++)
        {
            for (int slot = _newest[list]; slot != None; slot = _entries[slot].Older)
                EmitDelta(slot, ref _entries[slot], endsRecord: false);
        }
    }

    /// <summary>Called just before a record ends: hands out what was not exported yet and clears the mark for the next record.</summary>
    private void EmitRemainder(int slot, ref FlowEntry entry)
    {
        if (_marks is null) return;
        // A sink detached for now still needs the mark cleared: the next record restarts its counters at zero.
        if (_deltaSink is null) _marks[slot] = default;
        else EmitDelta(slot, ref entry, endsRecord: true);
    }

    private void EmitDelta(int slot, ref FlowEntry entry, bool endsRecord)
    {
        ref FlowTableExportMark mark = ref _marks![slot];
        long lowPackets = entry.LowPackets - mark.LowPackets;
        long highPackets = entry.HighPackets - mark.HighPackets;
        if (lowPackets != 0 || highPackets != 0)
        {
            long lowBytes = entry.LowBytes - mark.LowBytes;
            long highBytes = entry.HighBytes - mark.HighBytes;
            bool startsRecord = mark.LowPackets == 0 && mark.HighPackets == 0;
            bool low = entry.InitiatorIsLow;
            FlowKey key = entry.Key;
            var delta = new FlowTableDelta(
                key.Protocol,
                low ? key.LowAddress : key.HighAddress,
                low ? key.LowPort : key.HighPort,
                low ? key.HighAddress : key.LowAddress,
                low ? key.HighPort : key.LowPort,
                low ? lowPackets : highPackets,
                low ? lowBytes : highBytes,
                low ? highPackets : lowPackets,
                low ? highBytes : lowBytes,
                startsRecord,
                entry.StartMicros,
                entry.EndMicros) { TcpFlags = entry.TcpFlags };
            mark = new FlowTableExportMark(entry.LowPackets, entry.LowBytes, entry.HighPackets, entry.HighBytes);
            _deltaSink!(delta);
        }
        if (endsRecord) mark = default;
    }
}
