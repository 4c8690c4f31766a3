using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using RosaOS.Testing;

namespace RosaOS.Security.Tests;

/// <summary>
/// The fuzz campaign: requests generated from every service's route table and every MCP tool's input schema. Target: no answer of
/// 500 or above, no hang (every request answered within its deadline), no crash, every service healthy afterwards. CI runs
/// ROSAOS_FUZZ_CASES per service (default 1000, about 5,000 in all); bench/fuzz runs 10,000 per service.
/// </summary>
[Collection(nameof(FuzzStackCollection))]
public sealed class FuzzTests(SecurityStack stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FuzzedRequestsNeverAnswer500NorHangAndEveryServiceStaysHealthy()
    {
        var cases = int.TryParse(Environment.GetEnvironmentVariable("ROSAOS_FUZZ_CASES"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 1000;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("ROSAOS_FUZZ_SEED"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : 15;
        var report = new List<string>();
        var problems = new List<string>();
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        foreach (var service in stack.Services)
        {
            var routes = (await stack.RoutesAsync(service, Ct))
                .Where(r => r.Hosts.Length == 0 || r.Hosts.Any(h => h.EndsWith(":" + new Uri(service.BaseUrl).Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)))
                // The endless streams are fuzzed by their headers only; the microphone stream is left out (it would hold a connection per case).
                .Where(r => r.Pattern != "/sim/microphone/stream")
                // The process manager's MCP answers only on its own port (kernel-mcp): on port 0 its route names no host (the kernel
                // checks the port per request), so it is left out of the API port's routes here as the host filter did for a fixed port.
                .Where(r => service.Name != "kernel" || !r.Pattern.StartsWith("/mcp", StringComparison.Ordinal))
                .Select(r => (r.Pattern, r.Methods)).ToList();
            var (tools, session) = routes.Any(r => r.Pattern == "/mcp") ? await McpToolsAsync(service.BaseUrl + "/mcp") : ([], null);
            var fuzzer = new Fuzzer(http, seed, TimeSpan.FromSeconds(30));
            var started = DateTime.UtcNow;
            var counts = await fuzzer.RunAsync(service.BaseUrl, routes, tools, session, allowBackendNotRunning: service.Name == "sim", cases, parallel: 4, Ct);
            var line = $"{service.Name}: {counts} ({routes.Count} routes, {tools.Count} MCP tools, {(DateTime.UtcNow - started).TotalSeconds:F0} s)";
            report.Add(line);
            TestContext.Current.TestOutputHelper?.WriteLine("FUZZ " + line);
            problems.AddRange(counts.Problems.Take(20).Select(p => service.Name + ": " + p));
            Assert.False(service.Process.HasExited, $"{service.Name} exited during the fuzz run:\n{service.Process.Output}");
        }
        foreach (var service in stack.Services)
        {
            using var health = await stack.Http.GetAsync(service.BaseUrl + "/health", Ct);
            Assert.True(health.IsSuccessStatusCode, $"{service.Name} is not healthy after the fuzz run: {(int)health.StatusCode}");
        }
        Assert.True(problems.Count == 0, string.Join('\n', report.Concat(problems)));
    }

    /// <summary>The server's tools (with their input schemas) and its session id, if it keeps sessions.</summary>
    private async Task<(List<JsonObject> Tools, string? Session)> McpToolsAsync(string url)
    {
        var (init, session) = await RpcAsync(url, null, """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"fuzz","version":"1"}}}""");
        Assert.NotNull(init);
        await RpcAsync(url, session, """{"jsonrpc":"2.0","method":"notifications/initialized"}""");
        var (list, _) = await RpcAsync(url, session, """{"jsonrpc":"2.0","id":2,"method":"tools/list"}""");
        return (list!["result"]!["tools"]!.AsArray().Select(t => t!.AsObject()).ToList(), session);
    }

    private async Task<(JsonNode? Body, string? Session)> RpcAsync(string url, string? session, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (session is not null)
        {
            request.Headers.TryAddWithoutValidation("Mcp-Session-Id", session);
        }
        using var response = await stack.Http.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        var id = response.Headers.TryGetValues("Mcp-Session-Id", out var values) ? values.First() : session;
        var data = text.Split('\n').Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => l[5..].Trim()).LastOrDefault() ?? text;
        return (data.Length == 0 ? null : JsonNode.Parse(data), id);
    }
}

/// <summary>
/// The fuzz run and the malformed-input sweep get a stack of their own: requests they send that are accepted may stop the
/// daemon's backend, engage a stop or take a lease, which would change what the cross-site tests see on a shared stack.
/// </summary>
[CollectionDefinition(nameof(FuzzStackCollection))]
public sealed class FuzzStackCollection : ICollectionFixture<SecurityStack>;
