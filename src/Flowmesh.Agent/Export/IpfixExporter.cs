using System.Collections.Concurrent;
using Flowmesh.Core;
using Flowmesh.Core.Export;

namespace Flowmesh.Agent.Export;

/// <summary>
/// Exports flows to one collector: producers (the capture thread) queue flows, a thread of the exporter's own encodes
/// them into IPFIX messages and sends them, so neither a slow collector nor the pacing ever holds up a capture.
/// <see cref="Flush"/> ends the current message (the agent calls it when an epoch seals, so each epoch's flows leave
/// within the epoch). The encoder's session starts with the socket: templates first, then data.
/// </summary>
internal sealed class IpfixExporter : IDisposable
{
    private readonly IpfixExportOptions _options;
    private readonly BlockingCollection<Item> _queue;
    private readonly IpfixSocketSink _sink;
    private readonly IpfixEncoder _encoder;
    private readonly Thread _thread;
    private readonly Func<long> _nowMicros;

    public IpfixExporter(IpfixDestination destination, IpfixExportOptions options, Action<string> report, Func<long>? nowMicros = null)
    {
        _options = options;
        Destination = destination;
        _nowMicros = nowMicros ?? UnixMicros.Now;
        _queue = new BlockingCollection<Item>(Math.Max(1, options.QueueCapacity));
        _sink = new IpfixSocketSink(destination, options, Counters, report);
        // Over TCP the collector keeps the session's templates (RFC 7011 8.1): they go out once per connection.
        var encoder = destination.Tcp ? options.Encoder with { TemplateRefreshInterval = null, TemplateRefreshMessages = 0 } : options.Encoder;
        _encoder = new IpfixEncoder(encoder, _sink);
        _thread = new Thread(Run) { Name = "ipfix-export", IsBackground = true };
        _thread.Start();
    }

    public IpfixDestination Destination { get; }
    public IpfixExportCounters Counters { get; } = new();

    /// <summary>Queues one flow; when the queue is full it waits (<see cref="IpfixExportOptions.WaitWhenFull"/>) or drops and counts the flow.</summary>
    public void Post(in IpfixFlow flow) => Enqueue(new Item(flow, Flush: false));

    /// <summary>Sends what is encoded so far once the flows queued before this call are encoded.</summary>
    public void Flush() => Enqueue(new Item(default, Flush: true));

    private void Enqueue(Item item)
    {
        try
        {
            if (_options.WaitWhenFull) _queue.Add(item);
            else if (!_queue.TryAdd(item) && !item.Flush) Counters.Dropped(1);
        }
        catch (InvalidOperationException)
        {
            if (!item.Flush) Counters.Dropped(1); // posted after Complete: the exporter is stopping
        }
    }

    private void Run()
    {
        // Templates on start (RFC 7011 8): a collector knows them before the first flow ends.
        if (_sink.Ready() && _sink.TakeNewSession()) _encoder.SendTemplates(_nowMicros());
        foreach (Item item in _queue.GetConsumingEnumerable())
        {
            long now = _nowMicros();
            if (!_sink.Ready())
            {
                if (!item.Flush) Counters.Dropped(1);
                continue;
            }
            if (_sink.TakeNewSession())
            {
                Counters.Dropped(_encoder.Restart());
                _encoder.SendTemplates(now);
            }
            if (item.Flush) _encoder.Flush(now);
            else
            {
                IpfixFlow flow = item.Flow;
                _encoder.Add(in flow, now);
            }
        }
        if (_sink.Ready()) _encoder.Flush(_nowMicros());
    }

    /// <summary>Encodes and sends everything queued, then stops the thread (waits at most <paramref name="timeout"/>).</summary>
    public bool Complete(TimeSpan timeout)
    {
        _queue.CompleteAdding();
        return _thread.Join(timeout);
    }

    public void Dispose()
    {
        Complete(TimeSpan.FromSeconds(10));
        _sink.Dispose();
        _queue.Dispose();
    }

    private readonly record struct Item(IpfixFlow Flow, bool Flush);
}
