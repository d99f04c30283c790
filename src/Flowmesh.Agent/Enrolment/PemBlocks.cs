using System.Security.Cryptography;

namespace Flowmesh.Agent.Enrolment;

/// <summary>The PEM blocks of a small text file by label (first of each label wins); errors name the file, never its content.</summary>
internal static class PemBlocks
{
    public static Dictionary<string, byte[]> Read(string text, string path)
    {
        var blocks = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var rest = text.AsSpan();
        for (var i = 0; i < 8 && PemEncoding.TryFind(rest, out var fields); i++)
        {
            var label = rest[fields.Label].ToString();
            var data = new byte[fields.DecodedDataLength];
            if (!Convert.TryFromBase64Chars(rest[fields.Base64Data], data, out _))
                throw new EnrolmentException($"'{path}': the {label} block is not valid base64");
            blocks.TryAdd(label, data);
            rest = rest[fields.Location.End..];
        }
        return blocks;
    }

    /// <summary>One block of <paramref name="label"/> from a file, or an operator-facing error.</summary>
    public static byte[] ReadOne(string path, string label, string what)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EnrolmentException($"cannot read {what} '{path}': {e.Message}", e);
        }
        return Read(text, path).TryGetValue(label, out var data)
            ? data
            : throw new EnrolmentException($"'{path}' holds no {label} block; is it the {what}?");
    }
}
