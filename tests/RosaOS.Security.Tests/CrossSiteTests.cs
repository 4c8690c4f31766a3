using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using RosaOS.Testing;

namespace RosaOS.Security.Tests;

/// <summary>
/// What a hostile web page in the user's browser can do to a running rosaOS: nothing. Every state-changing endpoint of every
/// service (read from each service's own route table, so a new endpoint cannot be forgotten) refuses a cross-site
/// <c>text/plain</c> POST and a foreign-Origin JSON POST, and the robots, the journal, the audit log and the stops are unchanged.
/// </summary>
[Collection(nameof(SecurityStackCollection))]
public sealed class CrossSiteTests(SecurityStack stack)
{
    private const string Evil = "https://evil.example";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryStateChangingEndpointRefusesCrossSiteRequestsAndNothingChanges()
    {
        var before = await SnapshotAsync();
        var checkedCount = 0;
        var failures = new List<string>();
        foreach (var service in stack.Services)
        {
            var routes = await stack.StateChangingAsync(service, Ct);
            Assert.NotEmpty(routes);
            foreach (var (method, path) in routes)
            {
                var url = service.BaseUrl + path;
                // 1. The "simple" request a page can send without a preflight: text/plain, cross-site.
                await ExpectAsync(failures, method, url, "text/plain", """{"text":"forged","prompt":"forged","source":"api","by":"ui","confirm":true}""",
                    Evil, "cross-site", HttpStatusCode.Forbidden);
                // 2. The same body without browser headers: the content type alone is refused.
                await ExpectAsync(failures, method, url, "text/plain", """{"text":"forged"}""", null, null, HttpStatusCode.UnsupportedMediaType);
                // 3. A JSON POST from a foreign page (the preflight would fail, but the request is refused even if sent).
                await ExpectAsync(failures, method, url, "application/json", """{"text":"forged","prompt":"forged","source":"api","by":"ui","confirm":true}""",
                    Evil, null, HttpStatusCode.Forbidden);
                // 4. Another page on this very machine (another port) is another origin too.
                await ExpectAsync(failures, method, url, "application/json", """{"text":"forged"}""", "http://127.0.0.1:1", "same-site", HttpStatusCode.Forbidden);
                // 5. No Origin but Sec-Fetch-Site: cross-site (a bodyless POST from a form or a navigation).
                await ExpectAsync(failures, method, url, null, null, null, "cross-site", HttpStatusCode.Forbidden);
                checkedCount++;
            }
        }
        Assert.Empty(failures);
        // The enumeration really reached the endpoints the issue named.
        var all = new List<string>();
        foreach (var service in stack.Services)
        {
            all.AddRange((await stack.StateChangingAsync(service, Ct)).Select(r => service.Name + " " + r.Method + " " + r.Path));
        }
        foreach (var expected in new[]
        {
            "kernel POST /event", "kernel POST /stt", "kernel POST /chat", "kernel GET /updates", "kernel POST /api/drivers/reachy-mini/tools/reset_head",
            "kernel POST /api/worker-tool-calls", "kernel POST /api/estop", "kernel POST /api/estop/release", "kernel-mcp POST /mcp",
            "reachy POST /mcp", "reachy POST /estop/engage", "reachy POST /estop/release", "ros POST /mcp", "ros POST /estop/engage",
            "sim POST /api/move/goto", "sim POST /sim/say", "sim POST /sim/speaker", "sim POST /api/daemon/stop",
        })
        {
            Assert.Contains(expected, all);
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"{checkedCount} state-changing endpoints checked, 5 requests each");
        var after = await SnapshotAsync();
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task UpdatesRefusesBrowsersOfOtherSitesAndServesOtherClients()
    {
        var kernel = stack["kernel"].BaseUrl;
        using (var crossSite = await SendAsync(HttpMethod.Get, kernel + "/updates", null, null, null, "cross-site"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, crossSite.StatusCode);
        }
        using (var foreign = await SendAsync(HttpMethod.Get, kernel + "/updates", null, null, Evil, null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        }
        using var cli = await SendAsync(HttpMethod.Get, kernel + "/updates", null, null, null, null);
        Assert.Equal(HttpStatusCode.OK, cli.StatusCode);
        Assert.NotNull(JsonNode.Parse(await cli.Content.ReadAsStringAsync(Ct))!["messages"]);
    }

    [Theory]
    [InlineData("reachy")]
    [InlineData("ros")]
    [InlineData("kernel-mcp")]
    public async Task McpInitializeFromAForeignOriginIsRefused(string name)
    {
        const string Initialize = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"page","version":"1"}}}""";
        var url = stack[name].BaseUrl + "/mcp";
        using (var foreign = await SendAsync(HttpMethod.Post, url, "application/json", Initialize, Evil, "cross-site", mcp: true))
        {
            Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        }
        using (var stream = await SendAsync(HttpMethod.Get, url, null, null, Evil, null, mcp: true))
        {
            Assert.Equal(HttpStatusCode.Forbidden, stream.StatusCode);
        }
        // An MCP client (no Origin) still connects.
        using var client = await SendAsync(HttpMethod.Post, url, "application/json", Initialize, null, null, mcp: true);
        Assert.Equal(HttpStatusCode.OK, client.StatusCode);
    }

    [Fact]
    public async Task WebSocketUpgradesCheckTheOrigin()
    {
        var ws = stack["sim"].BaseUrl.Replace("http", "ws", StringComparison.Ordinal) + "/api/state/ws/full?frequency=10";
        using (var foreign = new ClientWebSocket())
        {
            foreign.Options.CollectHttpResponseDetails = true;
            foreign.Options.SetRequestHeader("Origin", Evil);
            await Assert.ThrowsAnyAsync<WebSocketException>(() => foreign.ConnectAsync(new Uri(ws), Ct));
            Assert.Equal(HttpStatusCode.Forbidden, foreign.HttpStatusCode);
        }
        // The kernel's page draws the robot from this socket: its origin is trusted (ROSAOS_TRUSTED_ORIGINS, as rosa up sets it).
        foreach (var origin in new[] { stack.KernelOrigin, stack.KernelOrigin.Replace("127.0.0.1", "localhost", StringComparison.Ordinal) })
        {
            using var page = new ClientWebSocket();
            page.Options.SetRequestHeader("Origin", origin);
            await page.ConnectAsync(new Uri(ws), Ct);
            var buffer = new byte[65536];
            var frame = await page.ReceiveAsync(buffer, Ct);
            Assert.True(frame.Count > 0);
            await page.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", Ct);
        }
    }

    [Fact]
    public async Task TheServicesOwnPageAndNonBrowserClientsKeepWorking()
    {
        var kernel = stack["kernel"].BaseUrl;
        // The UI posts with its own origin and a JSON body.
        using (var page = await SendAsync(HttpMethod.Post, kernel + "/api/drivers/reachy-mini/tools/reset_head", "application/json", "{}", stack.KernelOrigin, "same-origin"))
        {
            Assert.True(page.StatusCode == HttpStatusCode.OK, $"{(int)page.StatusCode}: {await page.Content.ReadAsStringAsync(Ct)}");
        }
        // The daemon's SDK posts bodyless commands with no content type.
        var sim = stack["sim"].BaseUrl;
        using (var sdk = await SendAsync(HttpMethod.Post, sim + "/api/media/acquire", null, null, null, null))
        {
            Assert.Equal(HttpStatusCode.OK, sdk.StatusCode);
        }
        // A WAV to the simulated speaker keeps its content type.
        using var wav = await SendAsync(HttpMethod.Post, sim + "/sim/speaker?wait=false", "audio/wav", "RIFF", null, null);
        Assert.NotEqual(HttpStatusCode.UnsupportedMediaType, wav.StatusCode);
        using var html = await stack.Http.GetAsync(kernel + "/", Ct);
        Assert.Contains("frame-ancestors 'none'", html.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("DENY", html.Headers.GetValues("X-Frame-Options").Single());
    }

    private async Task ExpectAsync(List<string> failures, string method, string url, string? contentType, string? body, string? origin,
        string? fetchSite, HttpStatusCode expected)
    {
        using var response = await SendAsync(new HttpMethod(method), url, contentType, body, origin, fetchSite);
        if (response.StatusCode != expected)
        {
            failures.Add($"{method} {url} ({contentType ?? "no body"}, Origin {origin ?? "none"}, Sec-Fetch-Site {fetchSite ?? "none"}): " +
                $"{(int)response.StatusCode}, expected {(int)expected}");
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? contentType, string? body, string? origin, string? fetchSite,
        bool mcp = false)
    {
        using var request = new HttpRequestMessage(method, url);
        if (contentType is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body ?? ""));
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        if (origin is not null)
        {
            request.Headers.TryAddWithoutValidation("Origin", origin);
        }
        if (fetchSite is not null)
        {
            request.Headers.TryAddWithoutValidation("Sec-Fetch-Site", fetchSite);
        }
        if (mcp)
        {
            request.Headers.Accept.ParseAdd("application/json");
            request.Headers.Accept.ParseAdd("text/event-stream");
        }
        return await stack.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
    }

    /// <summary>What a forged request could have changed: the robot, its speaker, the journal, the audit log, every stop.</summary>
    private async Task<string> SnapshotAsync()
    {
        var sim = stack["sim"].BaseUrl;
        var kernel = stack["kernel"].BaseUrl;
        var parts = new List<string>();
        foreach (var url in new[]
        {
            sim + "/sim/moves", sim + "/sim/speaker/log", sim + "/api/daemon/robot-name", sim + "/api/motors/status", sim + "/api/volume/current",
            sim + "/api/move/running", kernel + "/api/journal", kernel + "/api/audit", kernel + "/api/estop",
            stack["reachy"].BaseUrl + "/estop", stack["ros"].BaseUrl + "/estop",
        })
        {
            // Times of day that tick on their own (a driver's last probe) are not effects; every effect also changes a value or a count.
            parts.Add(url + " " + System.Text.RegularExpressions.Regex.Replace(await stack.Http.GetStringAsync(url, Ct), "\"(\\w+_at)\":\"[^\"]*\"", "\"$1\""));
        }
        var status = JsonNode.Parse(await stack.Http.GetStringAsync(sim + "/api/daemon/status", Ct))!;
        parts.Add("daemon state " + status["state"]);
        return string.Join('\n', parts);
    }
}

[CollectionDefinition(nameof(SecurityStackCollection))]
public sealed class SecurityStackCollection : ICollectionFixture<SecurityStack>;
