using System.Collections.Concurrent;
using System.Globalization;
using Flowmesh.Capture.Files;

namespace Flowmesh.Capture.Tests.Files;

/// <summary>Every public capture read by us and by tshark: same frames, same times, same lengths.</summary>
public sealed class TsharkAgreementTests
{
    [Fact]
    public void Every_shared_capture_matches_tshark_frame_by_frame()
    {
        string tshark = TestEnvironment.ToolOrSkip("tshark");
        string root = TestEnvironment.SharedPcapsOrSkip();
        string[] files = Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(files);
        var problems = new ConcurrentBag<string>();
        long framesCompared = 0;

        Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = 2 }, file =>
        {
            var (exitCode, stdout, stderr) = TestEnvironment.Run(tshark, "-n", "-r", file, "-T", "fields",
                "-e", "frame.time_epoch", "-e", "frame.cap_len");
            var expected = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(ParseTsharkLine).ToList();
            bool tsharkSawDamage = exitCode != 0 || stderr.Contains("cut short", StringComparison.Ordinal)
                || stderr.Contains("damaged", StringComparison.Ordinal) || stderr.Contains("corrupt", StringComparison.Ordinal);
            string name = Path.GetRelativePath(root, file);

            using var reader = CaptureFileReader.Open(file);
            int index = 0;
            while (reader.TryReadNext(out var frame))
            {
                if (index >= expected.Count)
                {
                    problems.Add($"{name}: we read more than tshark's {expected.Count} frames");
                    return;
                }
                var (micros, length) = expected[index];
                if ((micros is not null && frame.TimestampMicros != micros) || frame.Data.Length != length)
                {
                    problems.Add($"{name} frame {index + 1}: ours {frame.TimestampMicros} us {frame.Data.Length} B, " +
                                 $"tshark {micros} us {length} B");
                    return;
                }
                index++;
            }
            Interlocked.Add(ref framesCompared, index);
            var stats = reader.Statistics;
            if (index != expected.Count) problems.Add($"{name}: we read {index} frames, tshark {expected.Count}; {stats.StoppedEarly}");
            if (tsharkSawDamage && stats.StoppedEarly is null) problems.Add($"{name}: tshark saw damage ({stderr.Trim()}), we did not");
            if (!tsharkSawDamage && stats.StoppedEarly is not null) problems.Add($"{name}: we stopped early: {stats.StoppedEarly}");
            if (stats.BytesTotal is not null && !tsharkSawDamage && stats.BytesConsumed != stats.BytesTotal)
            {
                problems.Add($"{name}: consumed {stats.BytesConsumed} of {stats.BytesTotal} bytes");
            }
        });

        Assert.True(problems.IsEmpty, string.Join("\n", problems.Order().Take(30)));
        Assert.True(framesCompared > 10_000, $"only {framesCompared} frames compared");
    }

    // "1288361478.123456789\t60": seconds and nanoseconds exactly, no floating point.
    // A fuzzed record whose fraction field is a second or more makes Wireshark overflow
    // (it prints "-1953631157.1404616000"); we carry the excess into the seconds instead,
    // so that time is not comparable and only the length is checked (null time).
    private static (long? Micros, int Length) ParseTsharkLine(string line)
    {
        string[] fields = line.Split('\t');
        if (fields[0].StartsWith('-')) return (null, int.Parse(fields[1], CultureInfo.InvariantCulture));
        string[] time = fields[0].Split('.');
        long seconds = long.Parse(time[0], CultureInfo.InvariantCulture);
        string fraction = (time.Length > 1 ? time[1] : "").PadRight(9, '0')[..9];
        long micros = seconds * 1_000_000 + long.Parse(fraction, CultureInfo.InvariantCulture) / 1000;
        return (micros, int.Parse(fields[1], CultureInfo.InvariantCulture));
    }
}
