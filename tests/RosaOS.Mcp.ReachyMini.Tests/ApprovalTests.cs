using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Client;
using RosaOS.EmergencyStop;
using RosaOS.Testing;

namespace RosaOS.Mcp.ReachyMini.Tests;

/// <summary>
/// A person decides the risky calls on the simulated Reachy: a `rosa reachy` whose drivers.json entry gates goto_target
/// behind approval. The simulated robot's head (read from `rosa sim`) is the witness of what ran.
/// </summary>
public sealed class ApprovalTests(SimFixture fixture) : IClassFixture<SimFixture>
{
    private const double TimeoutSeconds = 4;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Goto_target_waits_for_a_person_runs_once_with_the_approved_arguments_is_refused_on_deny_and_timeout_and_reset_head_never_waits()
    {
        await using var stack = await TestStack.StartAsync(new TestStackOptions
        {
            Reachy = new ReachyPart { DaemonUrl = fixture.DaemonUrl },
            Drivers = servers => servers["reachy-mini"]!["approval"] = new JsonObject { ["tools"] = new JsonArray("goto_target"), ["timeout_seconds"] = TimeoutSeconds },
        });
        using var http = new HttpClient { BaseAddress = new Uri(stack.ReachyUrl) };
        await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri($"{stack.ReachyUrl}/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { [LeaseContract.Header] = "w-approval" },
        }), new McpClientOptions { ProtocolVersion = "2025-11-25" }, cancellationToken: Ct);
        var (reset, resetError) = await client.CallAsync("reset_head");
        Assert.False(resetError, reset);
        await Poll.UntilAsync(async () => Math.Abs(await HeadYawAsync()) < 2 && await IdleAsync(), "the head to face forward");
        var turn = new Dictionary<string, object?> { ["head_yaw"] = 27.5, ["duration"] = 0.5 };

        // 1. The call waits; GET /approvals shows the driver, tool and exact arguments; the head has not moved.
        var first = client.CallAsync("goto_target", turn);
        var pending = await PendingAsync(http);
        Assert.Equal("reachy-mini", pending["driver"]!.ToString());
        Assert.Equal("goto_target", pending["tool"]!.ToString());
        Assert.Equal("w-approval", pending["caller"]!.ToString());
        Assert.Equal(27.5, pending["arguments"]!["head_yaw"]!.GetValue<double>());
        Assert.Equal(0.5, pending["arguments"]!["duration"]!.GetValue<double>());
        Assert.Contains("goto_target needs a person's approval on reachy-mini", pending["reason"]!.ToString(), StringComparison.Ordinal);
        Assert.False(first.IsCompleted);
        Assert.True(await IdleAsync(), "a move started before anyone approved");
        Assert.InRange(await HeadYawAsync(), -2, 2);

        // Only a person decides.
        var id = pending["id"]!.ToString();
        using (var agent = await http.PostAsJsonAsync(new Uri($"/approvals/{id}/approve", UriKind.Relative), new { by = "agent" }, Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, agent.StatusCode);
        }

        // 2. Approve: it runs once, with exactly the approved arguments (the head turns to 27.5°).
        using (var approve = await http.PostAsJsonAsync(new Uri($"/approvals/{id}/approve", UriKind.Relative), new { by = "cli", digest = pending["digest"]!.ToString() }, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, approve.StatusCode);
        }
        var (ran, ranError) = await first.WaitAsync(TestTimeouts.Effect, Ct);
        Assert.False(ranError, ran);
        await Poll.UntilAsync(async () => Math.Abs(await HeadYawAsync() - 27.5) < 1.5 && await IdleAsync(), "the approved turn to 27.5°");
        using (var again = await http.PostAsJsonAsync(new Uri($"/approvals/{id}/approve", UriKind.Relative), new { by = "ui" }, Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        }

        // 3. Another turn, denied: refused with a reason the model can act on; the head stays.
        var back = client.CallAsync("goto_target", new Dictionary<string, object?> { ["head_yaw"] = -27.5, ["duration"] = 0.5 });
        var pending2 = await PendingAsync(http);
        using (var deny = await http.PostAsJsonAsync(new Uri($"/approvals/{pending2["id"]}/deny", UriKind.Relative), new { by = "ui", note = "a child is next to it" }, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, deny.StatusCode);
        }
        var (denied, deniedError) = await back.WaitAsync(TestTimeouts.Effect, Ct);
        Assert.True(deniedError, denied);
        Assert.Contains("goto_target refused: a person (in the rosaOS UI) denied this call on reachy-mini (\"a child is next to it\"); it did not run", denied, StringComparison.Ordinal);
        Assert.True(await IdleAsync(), "the denied turn started a move");
        Assert.InRange(await HeadYawAsync(), 26, 29);

        // 4. The identical call needs a new approval (a new id, the same digest); nobody decides, so it is refused at the timeout.
        var repeat = client.CallAsync("goto_target", turn);
        var pending3 = await PendingAsync(http);
        Assert.NotEqual(id, pending3["id"]!.ToString());
        Assert.Equal(pending["digest"]!.ToString(), pending3["digest"]!.ToString());
        var (timedOut, timedOutError) = await repeat.WaitAsync(TestTimeouts.Effect, Ct);
        Assert.True(timedOutError, timedOut);
        Assert.Contains($"goto_target refused: no one approved within {TimeoutSeconds.ToString(CultureInfo.InvariantCulture)} s", timedOut, StringComparison.Ordinal);

        // 5. A tool the policy does not name runs at once: the head comes back to 0°.
        var (freeReset, freeResetError) = await client.CallAsync("reset_head");
        Assert.False(freeResetError, freeReset);
        await Poll.UntilAsync(async () => Math.Abs(await HeadYawAsync()) < 2, "reset_head to bring the head back");
        var list = JsonNode.Parse(await http.GetStringAsync(new Uri(ApprovalContract.HttpPath, UriKind.Relative), Ct))!;
        Assert.Empty(list["pending"]!.AsArray());
        Assert.Equal(["timed_out by timeout", "denied by ui", "approved by cli"], list["recent"]!.AsArray().Select(r => $"{r!["decision"]} by {r["by"]}"));
    }

    [Fact]
    public async Task A_policy_that_names_ROS_topics_or_a_tool_the_Reachy_lacks_is_refused_at_start()
    {
        var config = TestPaths.NewTempDirectory("reachyapprovalbad");
        var driversPath = Path.Combine(config, "drivers.json");
        await File.WriteAllTextAsync(driversPath, """{"mcpServers": {"reachy-mini": {"url": "http://localhost:5001/mcp", "approval": {"topics": ["/cmd_vel"]}}}}""", Ct);
        await using (var ros = RosaProcess.StartRosa(["reachy", "--port", "0", "--daemon", fixture.DaemonUrl, "--drivers", driversPath]))
        {
            Assert.Equal(2, await ros.WaitForExitAsync(TestTimeouts.Effect));
            Assert.Contains("approval \"topics\" apply only to ROS drivers", ros.Output, StringComparison.Ordinal);
        }
        await File.WriteAllTextAsync(driversPath, """{"mcpServers": {"reachy-mini": {"url": "http://localhost:5001/mcp", "approval": {"tools": ["goto_taget"]}}}}""", Ct);
        await using (var typo = RosaProcess.StartRosa(["reachy", "--port", "0", "--daemon", fixture.DaemonUrl, "--drivers", driversPath]))
        {
            Assert.Equal(2, await typo.WaitForExitAsync(TestTimeouts.Effect));
            Assert.Contains("approval tools 'goto_taget' are not tools of this driver", typo.Output, StringComparison.Ordinal);
            Assert.Contains("goto_target", typo.Output, StringComparison.Ordinal);
        }
        Directory.Delete(config, recursive: true);
    }

    private async Task<double> HeadYawAsync() => ((await fixture.Daemon.GetFullStateAsync(Ct)).HeadPose?.Yaw ?? double.NaN) * 180 / Math.PI;

    private async Task<bool> IdleAsync() => (await fixture.Daemon.GetRunningMovesAsync(Ct)).Count == 0;

    private static Task<JsonNode> PendingAsync(HttpClient http) => PendingApprovals.FirstAsync(http, ApprovalContract.HttpPath, Ct);
}
