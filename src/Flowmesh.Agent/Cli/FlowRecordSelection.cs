using Flowmesh.Agent.Output;
using Flowmesh.Core.Flows;

namespace Flowmesh.Agent.Cli;

/// <summary>
/// Applies --sort and --limit between the flow table and a writer while keeping memory bounded
/// where it can: unsorted output streams, sorted output with a limit keeps only the best N.
/// </summary>
internal sealed class FlowRecordSelection
{
    private readonly IFlowRecordWriter _writer;
    private readonly FlowSortOrder _order;
    private readonly int? _limit;
    private readonly Comparison<FlowRecord> _comparison;
    // Sorted + limited: a max-heap on "worst first" so the worst kept record is evicted in O(log N).
    private readonly PriorityQueue<FlowRecord, FlowRecord>? _best;
    private readonly List<FlowRecord>? _all;
    private long _written;

    public FlowRecordSelection(IFlowRecordWriter writer, FlowSortOrder order, int? limit)
    {
        _writer = writer;
        _order = order;
        _limit = limit;
        _comparison = FlowSortOrders.Comparison(order);
        if (order != FlowSortOrder.None)
        {
            if (limit is int n) _best = new PriorityQueue<FlowRecord, FlowRecord>(n + 1, Comparer<FlowRecord>.Create((a, b) => _comparison(b, a)));
            else _all = [];
        }
    }

    /// <summary>Records that ended, whether or not they are written.</summary>
    public long Seen { get; private set; }

    public void Add(FlowRecord record)
    {
        Seen++;
        if (_order == FlowSortOrder.None)
        {
            if (_limit is int n && _written >= n) return;
            _writer.Write(record);
            _written++;
        }
        else if (_best is not null)
        {
            _best.Enqueue(record, record);
            if (_best.Count > _limit) _best.Dequeue();
        }
        else
        {
            _all!.Add(record);
        }
    }

    public void Complete()
    {
        if (_order != FlowSortOrder.None)
        {
            var records = _all ?? [];
            if (_best is not null) while (_best.Count > 0) records.Add(_best.Dequeue());
            records.Sort(_comparison);
            foreach (var record in records) _writer.Write(record);
        }
        _writer.Complete();
    }
}
