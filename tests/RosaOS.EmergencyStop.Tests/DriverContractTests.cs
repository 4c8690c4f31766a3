using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using RosaOS.Testing;

namespace RosaOS.EmergencyStop.Tests;

/// <summary>The contract as one driver serves it, on a real <c>rosa reachy</c> whose robot is not there.</summary>
public sealed class DriverContractTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(RosaProcess Reachy, string Url, string Data)> StartOfflineReachyAsync(string? data = null)
    {
        data ??= TestPaths.NewTempDirectory("contract");
        // Port 0 for the driver; its robot's daemon on a closed port (nobody listens: the robot is not there).
        var reachy = RosaProcess.StartRosa(["reachy", "--port", "0", "--daemon", $"http://127.0.0.1:{FreePort.Next().ToString(CultureInfo.InvariantCulture)}", "--no-listen"],
            new Dictionary<string, string?> { ["ROSAOS_DATA_DIR"] = data });
        var url = (await reachy.WaitForListeningAsync("reachy")).GetLeftPart(UriPartial.Authority);
        return (reachy, url, data);
    }

    private static async Task<(int Status, JsonObject? Body)> PostAsync(HttpClient http, string url, string? json, string contentType = "application/json")
    {
        using var content = json is null ? null : new StringContent(json, Encoding.UTF8, contentType);
        using var response = await http.PostAsync(new Uri(url), content, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return ((int)response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) as JsonObject : null);
    }

    [Fact]
    public async Task A_driver_that_cannot_reach_its_robot_latches_says_so_and_refuses_motion_with_the_reason()
    {
        var (reachy, url, _) = await StartOfflineReachyAsync();
        await using var _ = reachy;
        using var http = new HttpClient();

        // Bad input names what is wrong.
        Assert.Equal(415, (await PostAsync(http, $"{url}/estop/engage", """{"source":"cli"}""", "text/plain")).Status);
        var (status, body) = await PostAsync(http, $"{url}/estop/engage", "{}");
        Assert.Equal(400, status);
        Assert.Contains("source", body!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        (status, body) = await PostAsync(http, $"{url}/estop/engage", $$"""{"source":"cli","reason":"{{new string('x', 600)}}"}""");
        Assert.Equal(400, status);
        Assert.Contains("\"reason\" is 600 characters", body!["error"]!.GetValue<string>(), StringComparison.Ordinal);

        (status, body) = await PostAsync(http, $"{url}/estop/engage", """{"source":"cli","reason":"testing"}""");
        Assert.Equal(200, status);
        Assert.True(body!["engaged"]!.GetValue<bool>());
        Assert.False(body["reachable"]!.GetValue<bool>());
        Assert.Contains("not reachable", body["problems"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        // Idempotent: engaging again keeps the first time and says so.
        var (_, again) = await PostAsync(http, $"{url}/estop/engage", """{"source":"ui"}""");
        Assert.True(again!["already_engaged"]!.GetValue<bool>());
        Assert.Equal(body["engaged_at"]!.ToString(), again["engaged_at"]!.ToString());
        Assert.Equal("cli", again["source"]!.GetValue<string>());

        var (text, isError) = await StopStack.CallAsync(url, "goto_target", new { head_yaw = 10 });
        Assert.True(isError);
        Assert.Matches(@"^goto_target refused: emergency stop engaged at \d\d:\d\d:\d\d from rosa estop \(testing\); a person must release it", text);
        Assert.False((await StopStack.CallAsync(url, "list_emotions")).IsError);

        (status, body) = await PostAsync(http, $"{url}/estop/release", """{"by":"cli","confirm":true}""");
        Assert.Equal(200, status);
        Assert.False(body!["engaged"]!.GetValue<bool>());
        Assert.True(body["was_engaged"]!.GetValue<bool>());
        (text, isError) = await StopStack.CallAsync(url, "goto_target", new { head_yaw = 10 });
        Assert.True(isError);
        Assert.Contains("not reachable", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_latch_file_that_cannot_be_read_counts_as_engaged()
    {
        var data = TestPaths.NewTempDirectory("contract");
        Directory.CreateDirectory(Path.Combine(data, "estop"));
        await File.WriteAllTextAsync(Path.Combine(data, "estop", "reachy-mini.json"), "{\"driver\": \"reachy-mi", Ct);
        var (reachy, url, _) = await StartOfflineReachyAsync(data);
        await using var _ = reachy;
        using var http = new HttpClient();
        var state = JsonNode.Parse(await http.GetStringAsync(new Uri($"{url}/estop"), Ct))!;
        Assert.True(state["engaged"]!.GetValue<bool>());
        Assert.Contains("could not be read", state["refusal"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True((await StopStack.CallAsync(url, "reset_head")).IsError);
    }

    [Fact]
    public async Task A_driver_without_the_http_endpoint_is_stopped_through_its_declared_mcp_tool()
    {
        var (reachy, url, _) = await StartOfflineReachyAsync();
        await using var _ = reachy;
        using var client = new EmergencyStopClient();
        // As the kernel sees a driver that serves only the MCP half: its /estop is missing (404).
        var target = new StopTarget("mcp-only", new Uri($"{url}/no-http-stop-here"), new Uri($"{url}/mcp"));

        var engaged = await client.EngageAsync(target, new EngageRequest { Source = "ui", Reason = "via mcp" }, TimeSpan.FromSeconds(10), Ct);
        Assert.Equal("mcp", engaged.Via);
        Assert.True(engaged.Answered);
        Assert.True(engaged.Engaged);
        var state = await client.StateAsync(target, TimeSpan.FromSeconds(10), Ct);
        Assert.Equal("mcp", state.Via);
        Assert.True(state.Engaged);
        // There is no MCP release: a driver without the HTTP half says so and stays engaged.
        var release = await client.ReleaseAsync(target, new ReleaseRequest { By = "cli", Confirm = true }, TimeSpan.FromSeconds(10), Ct);
        Assert.False(release.Ok);
        Assert.Contains("does not implement the emergency-stop contract", release.Summary, StringComparison.Ordinal);
        using var http = new HttpClient();
        Assert.True(JsonNode.Parse(await http.GetStringAsync(new Uri($"{url}/estop"), Ct))!["engaged"]!.GetValue<bool>());
    }
}
