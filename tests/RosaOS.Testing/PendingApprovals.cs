using System.Text.Json.Nodes;

namespace RosaOS.Testing;

/// <summary>Reads an approval queue (a driver's GET /approvals, the kernel's GET /api/approvals) as a person's client would.</summary>
public static class PendingApprovals
{
    /// <summary>The first waiting call listed at <paramref name="path"/>, once one is.</summary>
    public static async Task<JsonNode> FirstAsync(HttpClient http, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        JsonNode? found = null;
        await Poll.UntilAsync(async () =>
        {
            var list = JsonNode.Parse(await http.GetStringAsync(new Uri(path, UriKind.Relative), cancellationToken))!;
            found = list["pending"]!.AsArray().FirstOrDefault();
            return found is not null;
        }, $"a call to appear in GET {path}", interval: TimeSpan.FromMilliseconds(100));
        return found!;
    }
}
