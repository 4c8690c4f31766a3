using System.Text.Json;
using RosaOS.Testing.Llm;

namespace RosaOS.Kernel.Tests;

/// <summary>
/// Every endpoint refuses malformed input with a 400 and a reason, queues nothing, and keeps running. Validation needs no other
/// process, so these run against the kernel hosted in memory (<see cref="InMemoryKernel"/>); the proxy to a live driver is in
/// <see cref="DriverProxyTests"/>.
/// </summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private readonly System.Net.Sockets.TcpListener _trap = new(System.Net.IPAddress.Loopback, 0);
    private InMemoryKernel _kernel = null!;

    public async ValueTask InitializeAsync()
    {
        // A switched-off entry points at a listener nobody accepts on: any connection the kernel made would wait in its backlog.
        _trap.Start();
        var config = KernelHarness.NewConfigDir(
            disabled: new Dictionary<string, string> { ["lab-dog"] = $"http://127.0.0.1:{((System.Net.IPEndPoint)_trap.LocalEndpoint).Port}/mcp" });
        _kernel = await InMemoryKernel.StartAsync(config);
    }

    public async ValueTask DisposeAsync()
    {
        _trap.Stop();
        await _kernel.DisposeAsync();
    }

    public static TheoryData<string, string, string> Cases => new()
    {
        { "/event", "not json", "not valid JSON" },
        { "/event", "[1,2]", "must be a JSON object" },
        { "/event", "", "empty" },
        { "/event", """{"message":"m","done":true}""", "\"worker_id\" is missing" },
        { "/event", """{"worker_id":5,"message":"m","done":true}""", "\"worker_id\" must be a string" },
        { "/event", """{"worker_id":"w","message":{"a":1},"done":true}""", "\"message\" must be a string" },
        { "/event", """{"worker_id":"w","message":"m","done":"yes"}""", "\"done\" must be a boolean" },
        { "/event", """{"worker_id":"","message":"m"}""", "must not be empty" },
        { "/stt", "{\"text\":", "not valid JSON" },
        { "/stt", """{"text":42}""", "\"text\" must be a string" },
        { "/stt", """{"text":NaN}""", "not valid JSON" },
        { "/stt", "\"hello\"", "must be a JSON object" },
        { "/chat", """{"prompt":1e999}""", "\"prompt\" must be a string" },
        { "/chat", """{"prompt":null}""", "\"prompt\" is missing" },
        { "/chat", """{"prompt":"   "}""", "must not be empty" },
        { "/chat", """{}""", "\"prompt\" is missing" },
        { "/api/worker-tool-calls", """{"worker_id":"w"}""", "needs worker_id and tool" },
        { "/api/worker-tool-calls", """{"worker_id":"w","tool":"t","is_error":"no"}""", "not a tool-call report" },
        { "/api/processes/abc/terminate", """{"force":"yes"}""", "\"force\" must be a boolean" },
        { "/api/drivers/Kasa Lightbulb Controller/tools/get_processes", "[]", "must be a JSON object" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Malformed_requests_get_400_with_a_reason_and_nothing_is_queued(string path, string body, string reason)
    {
        var (status, answer) = await _kernel.PostJsonAsync(path, body);

        Assert.Equal(400, status);
        Assert.Contains(reason, answer.GetProperty("error").GetString(), StringComparison.Ordinal);
        var health = await _kernel.GetJsonAsync("/health");
        // Nothing queued, so no turn and no LLM call.
        Assert.Equal(0, health.GetProperty("events").GetProperty("pending").GetInt64() + health.GetProperty("events").GetProperty("done").GetInt64());
    }

    [Fact]
    public async Task Huge_values_are_refused_with_the_limit()
    {
        var (status, answer) = await _kernel.PostJsonAsync("/chat", JsonSerializer.Serialize(new { prompt = new string('x', 60_000) }));
        Assert.Equal(400, status);
        Assert.Contains("over the limit of 50000", answer.GetProperty("error").GetString(), StringComparison.Ordinal);

        var (tooBig, big) = await _kernel.PostJsonAsync("/stt", JsonSerializer.Serialize(new { text = new string('y', 2 << 20) }));
        Assert.Equal(400, tooBig);
        Assert.Contains("larger than", big.GetProperty("error").GetString(), StringComparison.Ordinal);
        var events = (await _kernel.GetJsonAsync("/health")).GetProperty("events");
        Assert.Equal(0, events.GetProperty("pending").GetInt64() + events.GetProperty("done").GetInt64());
        Assert.Equal("ok", (await _kernel.GetJsonAsync("/health")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Unknown_processes_and_drivers_are_404_with_what_exists()
    {
        var (status, answer) = await _kernel.PostJsonAsync("/api/processes/nope/terminate", "");
        Assert.Equal(404, status);
        Assert.Equal("Process not found.", answer.GetProperty("result").GetString());

        var (missing, driver) = await _kernel.PostJsonAsync("/api/drivers/unicorn/tools/fly", "{}");
        Assert.Equal(404, missing);
        Assert.Contains("configured: reachy-mini", driver.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_switched_off_driver_is_shown_with_the_reason_never_contacted_and_never_called()
    {
        var drivers = (await _kernel.GetJsonAsync("/api/drivers")).GetProperty("drivers").EnumerateArray().ToList();
        var dog = drivers.Single(d => d.GetProperty("name").GetString() == "lab-dog");
        Assert.False(dog.GetProperty("enabled").GetBoolean());
        Assert.False(dog.GetProperty("reachable").GetBoolean());
        Assert.Contains("\"enabled\": false", dog.GetProperty("problem").GetString(), StringComparison.Ordinal);
        Assert.Empty(dog.GetProperty("tools").EnumerateArray());
        Assert.True(drivers.Single(d => d.GetProperty("name").GetString() == "reachy-mini").GetProperty("enabled").GetBoolean());

        var health = (await _kernel.GetJsonAsync("/health")).GetProperty("drivers").EnumerateArray();
        Assert.Contains(health, d => d.GetProperty("name").GetString() == "lab-dog" && !d.GetProperty("enabled").GetBoolean());

        var (status, answer) = await _kernel.PostJsonAsync("/api/drivers/lab-dog/tools/stop_move", "{}");
        Assert.Equal(409, status);
        Assert.Contains("disabled", answer.GetProperty("error").GetString(), StringComparison.Ordinal);
        // The listing above probed every switched-on driver; none of that (nor the refused call) reached the switched-off one.
        Assert.False(_trap.Pending(), "the kernel connected to a driver that drivers.json switches off");
    }
    [Fact]
    public async Task A_refusal_is_a_problem_document_that_still_carries_ok_and_error()
    {
        var cancel = TestContext.Current.CancellationToken;
        using (var content = new StringContent("""{"worker_id":5,"message":"m"}""", System.Text.Encoding.UTF8, "application/json"))
        using (var response = await _kernel.Http.PostAsync(new Uri("/event", UriKind.Relative), content, cancel))
        {
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancel)).RootElement;
            Assert.Equal(new[] { "type", "title", "status", "detail", "ok", "error" }, body.EnumerateObject().Select(p => p.Name).ToArray());
            Assert.Equal("about:blank", body.GetProperty("type").GetString());
            Assert.Equal("Bad Request", body.GetProperty("title").GetString());
            Assert.Equal(400, body.GetProperty("status").GetInt32());
            Assert.Equal("\"worker_id\" must be a string, not number", body.GetProperty("detail").GetString());
            // The original's clients and the UI read these two.
            Assert.False(body.GetProperty("ok").GetBoolean());
            Assert.Equal(body.GetProperty("detail").GetString(), body.GetProperty("error").GetString());
        }
        // A 404 from another endpoint (the camera view, which answered a bare {"error"} before) has the same shape and its own status.
        using (var camera = await _kernel.Http.GetAsync(new Uri("/api/drivers/unicorn/camera.jpg", UriKind.Relative), cancel))
        {
            Assert.Equal(System.Net.HttpStatusCode.NotFound, camera.StatusCode);
            Assert.Equal("application/problem+json", camera.Content.Headers.ContentType?.MediaType);
            var body = JsonDocument.Parse(await camera.Content.ReadAsStringAsync(cancel)).RootElement;
            Assert.Equal("Not Found", body.GetProperty("title").GetString());
            Assert.Equal(404, body.GetProperty("status").GetInt32());
            Assert.False(body.GetProperty("ok").GetBoolean());
            Assert.Contains("no driver named 'unicorn'; configured: reachy-mini", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        }
        // The one kernel client still reads the reason of a refusal …
        var client = new RosaOS.Kernel.Contracts.KernelClient(_kernel.Http);
        var refused = await client.PostEventAsync(new RosaOS.Kernel.Contracts.EventRequest(" ", "m", true), "problem-test", cancel);
        Assert.Equal(400, refused.Status);
        Assert.Equal("\"worker_id\" must not be empty", refused.Error);
        // … and /stt's empty text stays the original's 200 {"ok": false, "error"}: no HTTP error, so no problem document.
        using (var content = new StringContent("""{"text":"  "}""", System.Text.Encoding.UTF8, "application/json"))
        using (var stt = await _kernel.Http.PostAsync(new Uri("/stt", UriKind.Relative), content, cancel))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, stt.StatusCode);
            Assert.Equal("application/json", stt.Content.Headers.ContentType?.MediaType);
            Assert.Equal("""{"ok":false,"error":"missing or empty text"}""", await stt.Content.ReadAsStringAsync(cancel));
        }
    }

    [Fact]
    public async Task Answers_built_from_records_keep_the_names_and_nulls_the_ui_reads()
    {
        var cancel = TestContext.Current.CancellationToken;
        // Exact bodies where nothing varies: no timer scheduled, no turn recorded.
        Assert.Equal("""{"timers":[],"max_active":50}""", await _kernel.Http.GetStringAsync(new Uri("/api/timers", UriKind.Relative), cancel));
        Assert.Equal("""{"turns":[]}""", await _kernel.Http.GetStringAsync(new Uri("/api/turns", UriKind.Relative), cancel));
        // The stop's state (app.js): its null members are written, not left out, as before.
        var estop = await _kernel.GetJsonAsync("/api/estop");
        Assert.Equal(new[] { "engaged", "engaged_at", "source", "reason", "refusal", "released_at", "released_by", "drivers" }, estop.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal(JsonValueKind.Null, estop.GetProperty("released_by").ValueKind);
        Assert.Equal(new[] { "name", "answered", "engaged", "summary", "pending", "checked_at" },
            estop.GetProperty("drivers").EnumerateArray().First().EnumerateObject().Select(p => p.Name).ToArray());
        // The drivers list (app.js): the switched-off entry's tools are an empty array and its problem the reason.
        var dog = (await _kernel.GetJsonAsync("/api/drivers")).GetProperty("drivers").EnumerateArray().Single(d => d.GetProperty("name").GetString() == "lab-dog");
        Assert.Equal(new[] { "name", "url", "description", "enabled", "reachable", "problem", "tools" }, dog.EnumerateObject().Select(p => p.Name).ToArray());
    }
}

/// <summary>The kernel proxies a person's tool call to a live driver (its own process-manager MCP server stands in) and audits it: real process.</summary>
public sealed class DriverProxyTests : IAsyncLifetime
{
    private ScriptedLlmServer _llm = null!;
    private KernelHarness _kernel = null!;

    public async ValueTask InitializeAsync()
    {
        _llm = await ScriptedLlmServer.StartAsync();
        _llm.Fallback = ScriptedTurn.Say("fine");
        // The kernel's own process-manager MCP server stands in as a reachable driver for the proxy endpoints: its config names that
        // port before the kernel starts, so the port is chosen ahead (FreePort); the API port is the OS's.
        var processPort = RosaOS.Testing.FreePort.Next();
        var config = KernelHarness.NewConfigDir(new Dictionary<string, string> { ["Kasa Lightbulb Controller"] = $"http://127.0.0.1:{processPort}/mcp" },
            new Dictionary<string, string> { ["lab-dog"] = RosaOS.Testing.TestStack.NotRunningUrl() });
        _kernel = await KernelHarness.StartOnAsync(0, processPort, _llm, configDir: config, extraArgs: ["--pool-size", "0"]);
    }

    public async ValueTask DisposeAsync()
    {
        await _kernel.DisposeAsync();
        await _llm.DisposeAsync();
    }

    [Fact]
    public async Task Drivers_are_listed_with_reachability_and_tools_and_tool_calls_are_proxied_and_audited()
    {
        var drivers = (await _kernel.GetJsonAsync("/api/drivers")).GetProperty("drivers").EnumerateArray().ToList();
        Assert.Equal(5, drivers.Count);
        var lamp = drivers.Single(d => d.GetProperty("name").GetString() == "Kasa Lightbulb Controller");
        Assert.True(lamp.GetProperty("reachable").GetBoolean());
        Assert.Contains(lamp.GetProperty("tools").EnumerateArray(), t => t.GetProperty("name").GetString() == "launch_process");
        var reachy = drivers.Single(d => d.GetProperty("name").GetString() == "reachy-mini");
        Assert.False(reachy.GetProperty("reachable").GetBoolean());
        Assert.False(string.IsNullOrEmpty(reachy.GetProperty("problem").GetString()));

        var (status, answer) = await _kernel.PostJsonAsync("/api/drivers/Kasa Lightbulb Controller/tools/terminate_process", """{"worker_id":"ghost"}""");
        Assert.Equal(200, status);
        Assert.Equal("Process not found.", answer.GetProperty("result").GetString());
        var (wrong, error) = await _kernel.PostJsonAsync("/api/drivers/Kasa Lightbulb Controller/tools/terminate_process", """{"worker_id":12}""");
        Assert.Equal(422, wrong);
        Assert.False(error.GetProperty("ok").GetBoolean());

        var audit = (await _kernel.GetJsonAsync("/api/audit")).EnumerateArray().ToList();
        Assert.Contains(audit, a => a.GetProperty("tool").GetString() == "terminate_process" && a.GetProperty("arguments").GetString()!.Contains("ghost", StringComparison.Ordinal));
        Assert.Empty(_llm.ChatRequests);
    }
}
