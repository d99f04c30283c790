using Xunit.Sdk;
using Xunit.v3;

namespace Flowmesh.IntegrationTests.Cluster;

/// <summary>
/// Runs a class's facts in method-name order (Step1_..., Step2_...). The cluster facts share one expensive
/// 5-agent cluster and each leaves it in the state the next one starts from (two killed, one restarted, ...);
/// each fact still prepares what it needs itself, so any one of them also runs alone.
/// </summary>
public sealed class StepOrderer : ITestCaseOrderer
{
    public IReadOnlyCollection<TTestCase> OrderTestCases<TTestCase>(IReadOnlyCollection<TTestCase> testCases)
        where TTestCase : notnull, ITestCase =>
        testCases.OrderBy(t => t.TestMethodName, StringComparer.Ordinal).ToList();
}
