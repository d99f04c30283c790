using System.Text.Json;
using Flowmesh.Agent.Api;
using Flowmesh.Agent.Cli;
using Flowmesh.Agent.Output;
using Flowmesh.Agent.Tests.Api;

namespace Flowmesh.Agent.Tests.Cli;

public sealed class MembersOutputTests
{
    private static readonly MembersResponse Members = new FakeReadModel().Members();

    [Fact]
    public void TableShowsSelfFirstThenTroubleThenAgesForPeople()
    {
        string[] lines = Write(OutputFormat.Table).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["Name", "Address", "State", "Incarnation", "Clock", "Since"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["a", "(self)", "10.0.0.1:7946", "alive", "3", "-2ms", "12s"], lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["c", "10.0.0.3:7946", "dead", "7", "-", "1h01m"], lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["b", "10.0.0.2:7946", "suspect", "1", "+1h00m", "0.3s"], lines[3].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["d", "10.0.0.4:7946", "left", "2", "-", "1d01h"], lines[4].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("4 members: 1 dead, 1 suspect, 1 left, 1 alive", lines[5]);
        // The skew alert: one line per skewed member, saying what to do.
        Assert.Equal("clock skew: 'b' is +1h00m off the cluster's time; it stays a member and its records are kept, but fix its time synchronisation (NTP)", lines[6]);
        Assert.Equal(7, lines.Length);
    }

    [Fact]
    public void CsvHasAHeaderAndSecondsAndJsonIsTheApiDocument()
    {
        string csv = Write(OutputFormat.Csv);
        Assert.StartsWith("name,address,state,incarnation,since_seconds,self,clock_offset_seconds\na,10.0.0.1:7946,alive,3,12.5,true,-0.002\nc,10.0.0.3:7946,dead,7,3700,false,\n", csv);

        using var json = JsonDocument.Parse(Write(OutputFormat.Json));
        Assert.Equal("a", json.RootElement.GetProperty("self").GetString());
        Assert.Equal(4, json.RootElement.GetProperty("members").GetArrayLength());
        Assert.Equal("suspect", json.RootElement.GetProperty("members")[2].GetProperty("state").GetString());
    }

    [Theory]
    [InlineData(0.04, "0.0s")]
    [InlineData(9.96, "10.0s")]
    [InlineData(59.9, "59s")]
    [InlineData(61, "1m01s")]
    [InlineData(7260, "2h01m")]
    [InlineData(-1, "?")]
    [InlineData(double.NaN, "?")]
    public void AgesAreShort(double seconds, string text) => Assert.Equal(text, AgeText.Of(seconds));

    [Theory]
    [InlineData(0.0004, "+0ms")]
    [InlineData(-0.34, "-340ms")]
    [InlineData(3.44, "+3.4s")]
    [InlineData(3599.999, "+1h00m")]
    [InlineData(-3600.2, "-1h00m")]
    [InlineData(691200, "+8d00h")]
    [InlineData(double.NaN, "?")]
    public void ClockOffsetsAreSignedAndShort(double seconds, string text) => Assert.Equal(text, ClockText.Seconds(seconds));

    private static string Write(OutputFormat format)
    {
        var output = new StringWriter();
        MembersOutput.Write(output, format, Members);
        return output.ToString();
    }
}
