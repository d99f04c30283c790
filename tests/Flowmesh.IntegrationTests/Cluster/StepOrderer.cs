using Xunit.Sdk;
using Xunit.v3;

namespace Flowmesh.IntegrationTests.Cluster;

/// <summary>
/// Runs a class's facts in method-name order (Step1_..., Step2_...). The cluster facts share one expensive
/// 5-agent cluster and each leaves it in the state the next one starts from (two killed, one restarted, ...);
/// each fact still prepares what it needs itself, so any one of them also runs alone.
/// (xunit v3 4.x orders methods with a test method orderer; a test case orderer only orders cases within a method.)
/// </summary>
public sealed class StepOrderer : ITestMethodOrderer
{
    public IReadOnlyCollection<TTestMethod?> OrderTestMethods<TTestMethod>(IReadOnlyCollection<TTestMethod?> testMethods)
        where TTestMethod : notnull, ITestMethod =>
        testMethods.OrderBy(m => m?.MethodName, StringComparer.Ordinal).ToList();
}
