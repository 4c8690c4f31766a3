using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Client;
using RosaOS.EmergencyStop;
using RosaOS.Testing;
using RosaOS.Testing.Llm;
using static RosaOS.Mcp.Ros.Tests.Asker;

namespace RosaOS.Mcp.Ros.Tests;

/// <summary>
/// One mover per robot: the lease contract enforced by `rosa ros` itself (workers call drivers directly), and decided by
/// the kernel (real kernel, real pooled workers, the scripted LLM only).
/// </summary>
[Collection(RosRobotCollection.Name)]
public sealed class LeaseTests(RosRobotFixture robot)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly object Nudge = new { topic = "/cmd_vel", msg_type = "geometry_msgs/Twist", msg = new { linear = new { x = 0.02 } } };

    [Fact]
    public async Task Driver_RefusesMotionFromAnyoneButTheHolder_NamingIt_ReadsAndStopsStayOpen_AndNobodyHoldingMeansOpen()
    {
        using var http = new HttpClient { BaseAddress = new Uri(robot.BaseUrl) };
        await using var holder = await ConnectAsync("w-first");
        await using var other = await ConnectAsync("w-second");
        try
        {
            var granted = await PostLeaseAsync(http, new { holder = "w-first", kind = "worker", note = "patrol the hall" });
            Assert.Equal("w-first", granted["holder"]!.ToString());

            var refusedResult = await robot.CallRawAsync("publish_once", Nudge, null, other, Ct);
            Assert.True(refusedResult.IsError);
            var refused = RosRobotFixture.Text(refusedResult);
            Assert.Contains("publish_once refused: turtlebot is held by worker w-first (patrol the hall)", refused, StringComparison.Ordinal);
            Assert.Contains("w-second does not hold it", refused, StringComparison.Ordinal);
            // A client that knows nothing of leases is refused too while someone holds the robot.
            Assert.Contains("held by worker w-first", await robot.CallFailingAsync("call_service", new { service_name = "/undock", service_type = "std_srvs/Trigger" }), StringComparison.Ordinal);
            // Reads and stops are never leased.
            Assert.Equal("nav_msgs/Odometry", (await robot.CallAsync("get_topic_type", new { topic = "/odom" }, client: other))["type"]!.ToString());
            await robot.CallAsync("stop_robot", client: other);
            // The holder moves it.
            Assert.True((await robot.CallAsync("publish_once", Nudge, client: holder))["success"]!.GetValue<bool>());

            // Nobody holds it: every client may move it again (clients of the original keep working).
            await PostLeaseAsync(http, new { holder = (string?)null });
            Assert.True((await robot.CallAsync("publish_once", Nudge, client: other))["success"]!.GetValue<bool>());
            Assert.True((await robot.CallAsync("publish_once", Nudge))["success"]!.GetValue<bool>());
        }
        finally
        {
            await PostLeaseAsync(http, new { holder = (string?)null });
        }

        // Only JSON bodies change a lease.
        using var form = new StringContent("holder=w-x", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded");
        using var formResponse = await http.PostAsync(new Uri(LeaseContract.HttpPath, UriKind.Relative), form, Ct);
        Assert.Equal(System.Net.HttpStatusCode.UnsupportedMediaType, formResponse.StatusCode);
    }

    [Fact]
    public async Task Kernel_SecondWorkerIsRefusedNamingTheHolder_LeasePassesWhenTheFirstEnds_AndAPersonTakesControl()
    {
        const string TaskA = "Lease task A: nudge the TurtleBot.";
        const string TaskB = "Lease task B: nudge the TurtleBot too.";
        var finishA = new TaskCompletionSource();
        var secondTryB = new TaskCompletionSource();
        var thirdTryB = new TaskCompletionSource();
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.When(KernelOn("two nudges"), ScriptedTurn.Calls(
            ("launch_process", new { system_prompt = TaskA, robots = new[] { "turtlebot" } }),
            ("launch_process", new { system_prompt = TaskB, robots = new[] { "turtlebot" } })));
        llm.When(KernelAfterTool, ScriptedTurn.Say("Both launched."));
        llm.When(WorkerOn(TaskA), ScriptedTurn.Call("publish_once", Nudge), ScriptedTurn.Say("A done.").After(finishA.Task));
        llm.When(WorkerOn(TaskB),
            ScriptedTurn.Call("publish_once", Nudge),
            ScriptedTurn.Call("publish_once", Nudge).After(secondTryB.Task),
            ScriptedTurn.Call("publish_once", Nudge).After(thirdTryB.Task),
            ScriptedTurn.Say("B done."));
        llm.When(KernelOn("[Worker callback]"), ScriptedTurn.Say("Noted."), ScriptedTurn.Say("Noted."));

        await using var stack = await KernelStack.StartAsync(robot.Graph.BridgeUrl, llm);
        Assert.Equal("Both launched.", await stack.ChatAsync("two nudges"));
        var running = (await stack.GetJsonAsync("/api/processes")).GetProperty("running").EnumerateArray().ToList();
        var idA = running.Single(p => p.GetProperty("system_prompt").GetString() == TaskA).GetProperty("worker_id").GetString()!;
        var idB = running.Single(p => p.GetProperty("system_prompt").GetString() == TaskB).GetProperty("worker_id").GetString()!;

        // A was launched first and holds the robot; B's motion call is refused and names A.
        Assert.Equal(idA, await HolderAsync(stack));
        var firstB = await ToolResultAsync(llm, TaskB, 1);
        Assert.Contains($"turtlebot is held by worker {idA}", firstB, StringComparison.Ordinal);
        Assert.Contains(idB + " does not hold it", firstB, StringComparison.Ordinal);
        Assert.DoesNotContain("held by", await ToolResultAsync(llm, TaskA, 1), StringComparison.Ordinal);

        // A ends (done): the lease passes to B, whose next motion call runs.
        finishA.SetResult();
        await Poll.UntilAsync(async () => await HolderAsync(stack) == idB, "the lease to pass to worker B", TestTimeouts.Effect);
        secondTryB.SetResult();
        var secondB = await ToolResultAsync(llm, TaskB, 2);
        Assert.DoesNotContain("refused", secondB, StringComparison.Ordinal);
        Assert.Contains("success", secondB, StringComparison.Ordinal);

        // A person takes control in the UI: B is refused with the person named, while manual control moves the robot.
        using (var take = await stack.Http.PostAsJsonAsync(new Uri("/api/leases/turtlebot/take", UriKind.Relative), new { }, Ct))
        {
            take.EnsureSuccessStatusCode();
        }
        Assert.Equal(LeaseContract.Person, await HolderAsync(stack));
        await Poll.UntilAsync(async () => (await DriverLeaseAsync(stack))["holder"]?.ToString() == LeaseContract.Person, "the driver to learn the person holds it");
        using (var manual = await stack.Http.PostAsJsonAsync(new Uri("/api/drivers/turtlebot/tools/publish_once", UriKind.Relative), Nudge, Ct))
        {
            Assert.True(manual.IsSuccessStatusCode, await manual.Content.ReadAsStringAsync(Ct));
        }
        // Manual control passes through the same envelope as a worker: a diagonal 1 m/s Twist is scaled to the 0.3 m/s norm,
        // and the base's subscriber sees the scaled vector (0.18 forward), not the per-component 0.3.
        var diagonal = new { topic = "/cmd_vel", msg_type = "geometry_msgs/Twist", msg = new { linear = new { x = 0.6, y = 0.8, z = 0.0 }, angular = new { x = 0.0, y = 0.0, z = 0.0 } } };
        using (var fast = await stack.Http.PostAsJsonAsync(new Uri("/api/drivers/turtlebot/tools/publish_once", UriKind.Relative), diagonal, Ct))
        {
            var body = await fast.Content.ReadAsStringAsync(Ct);
            Assert.True(fast.IsSuccessStatusCode, body);
            Assert.Contains("scaled down to 0.3 m/s", body, StringComparison.Ordinal);
        }
        await robot.Graph.Robot.WaitForLineAsync(l => l.Contains("cmd_vel linear.x=0.1800", StringComparison.Ordinal), TestTimeouts.Effect);
        thirdTryB.SetResult();
        Assert.Contains("turtlebot is held by a person", await ToolResultAsync(llm, TaskB, 3), StringComparison.Ordinal);

        // B ends; the person keeps the robot until giving it back; then nobody holds it.
        await Poll.UntilAsync(async () => (await stack.GetJsonAsync("/api/processes")).GetProperty("running").GetArrayLength() == 0, "both workers to end", TestTimeouts.Effect);
        Assert.Equal(LeaseContract.Person, await HolderAsync(stack));
        using (var back = await stack.Http.PostAsJsonAsync(new Uri("/api/leases/turtlebot/return", UriKind.Relative), new { }, Ct))
        {
            back.EnsureSuccessStatusCode();
        }
        Assert.Null(await HolderAsync(stack));
        await Poll.UntilAsync(async () => (await DriverLeaseAsync(stack))["holder"] is null, "the driver to learn nobody holds it");
        var audit = (await stack.GetJsonAsync("/api/audit")).EnumerateArray().ToList();
        Assert.Contains(audit, a => a.GetProperty("tool").GetString() == "take_control" && a.GetProperty("server").GetString() == "turtlebot");
    }

    private static async Task<string?> HolderAsync(KernelStack stack)
    {
        var leases = (await stack.GetJsonAsync("/api/leases")).GetProperty("leases").EnumerateArray();
        var turtlebot = leases.Single(l => l.GetProperty("robot").GetString() == "turtlebot");
        return turtlebot.GetProperty("holder").ValueKind == JsonValueKind.Null ? null : turtlebot.GetProperty("holder").GetString();
    }

    private static async Task<JsonObject> DriverLeaseAsync(KernelStack stack)
    {
        using var http = new HttpClient();
        return JsonNode.Parse(await http.GetStringAsync(new Uri(stack.RosUrl + LeaseContract.HttpPath), Ct))!.AsObject();
    }

    /// <summary>The text of the worker's <paramref name="n"/>th tool result, once its model has been asked with it.</summary>
    private static async Task<string> ToolResultAsync(ScriptedLlmServer llm, string task, int n)
    {
        string? text = null;
        await Poll.UntilAsync(() =>
        {
            text = llm.ChatRequests.Where(WorkerOn(task)).Select(r => r.Messages.Where(m => m.Role == "tool").Select(m => m.Text).ToList())
                .FirstOrDefault(tools => tools.Count >= n)?[n - 1];
            return Task.FromResult(text is not null);
        }, $"tool result {n} of '{task}'", TestTimeouts.Effect);
        return text!;
    }

    private static async Task<JsonObject> PostLeaseAsync(HttpClient http, object grant)
    {
        using var response = await http.PostAsJsonAsync(new Uri(LeaseContract.HttpPath, UriKind.Relative), grant, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    private async Task<McpClient> ConnectAsync(string holder)
        => await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(robot.BaseUrl + "/mcp"),
            AdditionalHeaders = new Dictionary<string, string> { [LeaseContract.Header] = holder },
        }), new McpClientOptions { ProtocolVersion = "2025-11-25" }, cancellationToken: Ct);
}
