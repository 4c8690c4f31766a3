using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using RosaOS.Hosting;
using RosaOS.Testing;
using RosaOS.Testing.Llm;

namespace RosaOS.Security.Tests;

/// <summary>
/// A driver bound beyond loopback: <c>rosa reachy --bind &lt;this machine's non-127 address&gt;</c>, reached from that address (so the
/// peer is not loopback). Without the token every request is refused (401); with it everything works, including the kernel
/// calling the driver's tools and stopping it through drivers.json <c>headers</c> with <c>${ENV}</c> substitution; the login link
/// sets the HttpOnly cookie once.
/// </summary>
public sealed class BeyondLoopbackTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _data = TestPaths.NewTempDirectory("remote-data");
    private IPAddress? _address;
    private TestStack? _stack;

    /// <summary>rosa reachy at this machine's non-loopback address, e.g. http://10.0.0.5:41234.</summary>
    private string Remote => _stack!.ReachyUrl;

    private string SimUrl => _stack!.SimUrl;

    public async ValueTask InitializeAsync()
    {
        _address = RemoteAccess.NonLoopbackAddress();
        if (_address is null)
        {
            return;
        }
        _stack = await TestStack.StartAsync(new TestStackOptions
        {
            Sim = new SimPart(),
            Reachy = new ReachyPart { Bind = _address.ToString(), Environment = new Dictionary<string, string?> { ["ROSAOS_DATA_DIR"] = _data } },
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_stack is not null)
        {
            await _stack.DisposeAsync();
        }
    }

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient http, HttpMethod method, string url, string? token, string? json = null)
        => RemoteAccess.SendAsync(http, method, url, token, json);

    private string Token => File.ReadAllText(Path.Combine(_data, AccessPolicy.TokenFileName)).Trim();

    private const string Initialize = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""";

    [Fact]
    public async Task ANonLoopbackBindRefusesEveryRequestWithoutTheTokenAndServesThemWithIt()
    {
        if (_address is null)
        {
            TestContext.Current.SendDiagnosticMessage("This machine has no non-loopback IPv4 address: the remote bind cannot be exercised here; " +
                "only the loopback-bind defaults are asserted.");
            Assert.True(AccessPolicy.IsLoopbackBind("127.0.0.1"));
            Assert.False(AccessPolicy.IsLoopbackBind("0.0.0.0"));
            return;
        }
        TestContext.Current.SendDiagnosticMessage($"rosa reachy bound to {_address}");
        // The token was generated at first start, owner-readable only.
        var tokenFile = Path.Combine(_data, AccessPolicy.TokenFileName);
        Assert.True(File.Exists(tokenFile));
        Assert.True(Token.Length >= 32);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));
        }

        using var http = new HttpClient { Timeout = TestTimeouts.Effect };
        var requests = new (HttpMethod Method, string Path, string? Json)[]
        {
            (HttpMethod.Get, "/health", null), (HttpMethod.Get, "/_rosa/routes", null), (HttpMethod.Get, "/estop", null),
            (HttpMethod.Post, "/mcp", Initialize), (HttpMethod.Post, "/estop/engage", """{"source":"api","reason":"forged"}"""),
        };
        foreach (var (method, path, json) in requests)
        {
            var (none, body) = await SendAsync(http, method, Remote + path, null, json);
            Assert.True(none == HttpStatusCode.Unauthorized, $"{method} {path} without a token answered {(int)none}: {body}");
            Assert.Contains("access token", body, StringComparison.Ordinal);
            var (wrong, _) = await SendAsync(http, method, Remote + path, Token[..^1] + (Token[^1] == 'A' ? 'B' : 'A'), json);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong);
        }
        // Nothing was engaged by the refused stop; with the token every request is served.
        var (state, stateBody) = await SendAsync(http, HttpMethod.Get, Remote + "/estop", Token);
        Assert.Equal(HttpStatusCode.OK, state);
        Assert.False((bool)JsonNode.Parse(stateBody)!["engaged"]!);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Get, Remote + "/health", Token)).Status);
        var (mcp, mcpBody) = await SendAsync(http, HttpMethod.Post, Remote + "/mcp", Token, Initialize);
        Assert.True(mcp == HttpStatusCode.OK, mcpBody);
        Assert.Contains("rosa-reachy", mcpBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheKernelReachesTheRemoteDriverWithTheTokenFromDriversJsonHeaders()
    {
        if (_address is null)
        {
            TestContext.Current.SendDiagnosticMessage("This machine has no non-loopback IPv4 address: no remote driver to reach.");
            return;
        }
        var config = RemoteAccess.RemoteReachyConfig(Remote, "a Reachy Mini on another machine");
        // One port on both addresses, as rosa up --bind gives it: port 0 would give the address and loopback a port each.
        var kernelPort = FreePort.Next();
        var kernelData = TestPaths.NewTempDirectory("kernel-data");
        // Bound beyond loopback itself (as `rosa up --bind` runs it): loopback stays served for the stack's own callers.
        await _stack!.StartKernelAsync(new KernelPart
        {
            Port = kernelPort,
            Arguments = ["--bind", _address.ToString()],
            Environment = new Dictionary<string, string?> { ["ROSAOS_CONFIG_DIR"] = config, ["ROSAOS_DATA_DIR"] = kernelData, ["REMOTE_REACHY_TOKEN"] = Token },
        }, llm: null);
        var kernelUrl = $"http://127.0.0.1:{P(kernelPort)}";
        using var http = new HttpClient { Timeout = TestTimeouts.Effect };

        // A tool call through the kernel's MCP client carries the header: the remote driver runs it.
        var (tool, toolBody) = await SendAsync(http, HttpMethod.Post, kernelUrl + "/api/drivers/reachy-mini/tools/reset_head", null, "{}");
        Assert.True(tool == HttpStatusCode.OK, toolBody);
        Assert.DoesNotContain("401", toolBody, StringComparison.Ordinal);

        // The emergency stop reaches it too: the remote driver's latch is engaged.
        var (stop, stopBody) = await SendAsync(http, HttpMethod.Post, kernelUrl + "/api/estop", null, """{"source":"api","reason":"test"}""");
        Assert.True(stop == HttpStatusCode.OK, stopBody);
        var (state, stateBody) = await SendAsync(http, HttpMethod.Get, Remote + "/estop", Token);
        Assert.Equal(HttpStatusCode.OK, state);
        Assert.True((bool)JsonNode.Parse(stateBody)!["engaged"]!, stateBody);

        // The kernel's own address beyond loopback asks for its token (its own data folder's, not the driver's).
        var kernelRemote = $"http://{_address}:{P(kernelPort)}";
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(http, HttpMethod.Get, kernelRemote + "/api/estop", null)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(http, HttpMethod.Get, kernelRemote + "/api/estop", Token)).Status);
        var kernelToken = File.ReadAllText(Path.Combine(kernelData, AccessPolicy.TokenFileName)).Trim();
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Get, kernelRemote + "/api/estop", kernelToken)).Status);
    }

    /// <summary>
    /// "A worker reaching a driver on another address": the kernel (on loopback) launches a worker for the remote Reachy; the
    /// worker's MCP client carries drivers.json's <c>Authorization: Bearer ${REMOTE_REACHY_TOKEN}</c>, so its <c>play_emotion</c>
    /// moves the robot; the kernel's lease push reaches the driver with the same header (the driver names the worker as holder);
    /// the same tool call sent without the header is refused with 401 and moves nothing.
    /// </summary>
    [Fact]
    public async Task AWorkerLaunchedByTheKernelCallsTheRemoteDriverWithTheTokenAndTheSameCallWithoutItIsRefused()
    {
        if (_address is null)
        {
            TestContext.Current.SendDiagnosticMessage("This machine has no non-loopback IPv4 address: no remote driver for a worker to reach.");
            return;
        }
        const string WorkerTask = "Look happy on the remote Reachy.";
        await using var llm = await ScriptedLlmServer.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        llm.When(r => IsKernel(r) && r.Messages.Count > 0 && r.Messages[^1].Role == "user" && r.LastUserText.StartsWith("look happy", StringComparison.Ordinal),
            ScriptedTurn.Call("launch_process", new { system_prompt = WorkerTask, robots = new[] { "reachy-mini" } }));
        llm.When(r => IsKernel(r) && r.Messages.Count > 0 && r.Messages[^1].Role == "tool", ScriptedTurn.Say("On it."));
        llm.When(r => IsWorker(r) && r.SystemPrompt.Contains(WorkerTask, StringComparison.Ordinal),
            ScriptedTurn.Call("play_emotion", new { emotion = "Enthusiastic" }),
            // Held until the test has seen the remote driver name this worker as the lease holder.
            ScriptedTurn.Say("I looked happy.") with { Gate = release.Task });
        llm.When(r => IsKernel(r) && r.LastUserText.StartsWith("[Worker callback]", StringComparison.Ordinal), ScriptedTurn.Say("Reachy looked happy."));

        var config = RemoteAccess.RemoteReachyConfig(Remote, "a Reachy Mini on another machine");
        var kernel = await _stack!.StartKernelAsync(new KernelPart
        {
            Environment = new Dictionary<string, string?>
            {
                ["ROSAOS_CONFIG_DIR"] = config,
                ["ROSAOS_DATA_DIR"] = TestPaths.NewTempDirectory("worker-kernel-data"),
                ["REMOTE_REACHY_TOKEN"] = Token,
            },
        }, llm);
        var kernelUrl = (await kernel.WaitForListeningAsync("kernel")).GetLeftPart(UriPartial.Authority);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(120) };
        var simMoves = $"{SimUrl}/sim/moves";
        var movesBefore = Happy(await http.GetStringAsync(simMoves, Ct));

        var (chat, chatBody) = await SendAsync(http, HttpMethod.Post, kernelUrl + "/chat", null, """{"prompt":"look happy"}""");
        Assert.True(chat == HttpStatusCode.OK, chatBody);
        Assert.Equal("On it.", (string?)JsonNode.Parse(chatBody)!["output"]);

        // The worker was offered the remote driver's tools (its MCP connection was authorised) and ran play_emotion there.
        await llm.WaitForRequestAsync(r => IsWorker(r) && r.Messages.Any(m => m.Role == "tool"), TestTimeouts.Effect);
        Assert.Contains("play_emotion", llm.ChatRequests.First(IsWorker).ToolNames);
        await Poll.UntilAsync(async () => Happy(await http.GetStringAsync(simMoves, Ct)) > movesBefore, "the remote Reachy to play the emotion", TestTimeouts.Effect);
        // The kernel told the remote driver who holds the robot, with the token: the driver names the worker.
        var lease = await Poll.ForAsync(async () => JsonNode.Parse((await SendAsync(http, HttpMethod.Get, Remote + "/lease", Token)).Body),
            l => (string?)l?["kind"] == "worker", "the remote driver to name the worker as lease holder", TestTimeouts.Effect);
        Assert.False(string.IsNullOrEmpty((string?)lease!["holder"]));
        release.SetResult();

        // The callback came back and the call is in the kernel's audit log, not an error.
        await Poll.UntilAsync(async () => (await http.GetStringAsync(kernelUrl + "/api/audit", Ct)).Contains("\"play_emotion\"", StringComparison.Ordinal),
            "the worker's call in the audit log", TestTimeouts.Effect);
        var audit = JsonNode.Parse(await http.GetStringAsync(kernelUrl + "/api/audit", Ct))!.AsArray();
        var call = audit.Single(a => (string?)a!["tool"] == "play_emotion")!;
        Assert.Equal("reachy-mini", (string?)call["server"]);
        Assert.False((bool)call["is_error"]!, call.ToJsonString());
        await llm.WaitForRequestAsync(r => IsKernel(r) && r.LastUserText.StartsWith("[Worker callback]", StringComparison.Ordinal), TestTimeouts.Effect);

        // The same call without the header: refused before MCP, and the robot does not move.
        var movesAfter = Happy(await http.GetStringAsync(simMoves, Ct));
        var (refused, refusedBody) = await SendAsync(http, HttpMethod.Post, Remote + "/mcp", null,
            """{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"play_emotion","arguments":{"emotion":"Enthusiastic"}}}""");
        Assert.True(refused == HttpStatusCode.Unauthorized, $"{(int)refused}: {refusedBody}");
        Assert.Contains("access token", refusedBody, StringComparison.Ordinal);
        Assert.Equal(movesAfter, Happy(await http.GetStringAsync(simMoves, Ct)));
    }

    private static bool IsKernel(RecordedRequest r) => r.SystemPrompt.Contains("You are the kernel", StringComparison.Ordinal);

    private static bool IsWorker(RecordedRequest r) => r.SystemPrompt.Contains("You are a process", StringComparison.Ordinal);

    /// <summary>How many "enthusiastic" recorded moves the simulator's move log holds.</summary>
    private static int Happy(string moves) => JsonNode.Parse(moves)!.AsArray()
        .Count(m => m!.ToJsonString().Contains("reachy-mini-emotions-library/enthusiastic", StringComparison.OrdinalIgnoreCase));

    [Fact]
    public async Task TheLoginLinkSetsAnHttpOnlyStrictCookieOnce()
    {
        if (_address is null)
        {
            TestContext.Current.SendDiagnosticMessage("This machine has no non-loopback IPv4 address: the login link cannot be exercised from another peer.");
            return;
        }
        var link = AccessPolicy.LoginLink(Remote, AccessPolicy.CreateLoginCode(_data));
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = TestTimeouts.Effect };
        using (var first = await http.GetAsync(new Uri(link), Ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
            Assert.Equal("/", first.Headers.Location?.OriginalString);
            var cookie = Assert.Single(first.Headers.GetValues("Set-Cookie"));
            Assert.StartsWith(AccessPolicy.CookieName + "=" + Token, cookie, StringComparison.Ordinal);
            Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);

            // The cookie alone opens the service (a browser's page loads and WebSockets carry no Authorization header).
            using var request = new HttpRequestMessage(HttpMethod.Get, Remote + "/health");
            request.Headers.Add("Cookie", cookie.Split(';')[0]);
            using var withCookie = await http.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.OK, withCookie.StatusCode);
        }
        using var second = await http.GetAsync(new Uri(link), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, second.StatusCode);
        Assert.False(second.Headers.Contains("Set-Cookie"));
        Assert.Contains("works once", await second.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }
}
