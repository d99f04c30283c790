using Flowmesh.Core.Flows;

namespace Flowmesh.Agent.Output;

/// <summary>Writes flow records in one output format. Streaming writers emit each record at once; the table buffers to align columns.</summary>
internal interface IFlowRecordWriter : IDisposable
{
    void Write(FlowRecord record);

    /// <summary>Writes anything buffered and flushes the underlying stream.</summary>
    void Complete();
}
