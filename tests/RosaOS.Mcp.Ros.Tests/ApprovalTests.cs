using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using RosaOS.EmergencyStop;
using RosaOS.Testing;

namespace RosaOS.Mcp.Ros.Tests;

/// <summary>
/// A person decides the risky calls: a `rosa ros` whose drivers.json entry gates /plan_path behind approval, on the ROS 1
/// test graph. The robot's own service handler is the witness of what ran, and how often.
/// </summary>
[Collection(RosRobotCollection.Name)]
public sealed class ApprovalTests(RosRobotFixture robot)
{
    private const double TimeoutSeconds = 8;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GatedCall_WaitsForAPerson_RunsOnceWithTheApprovedArguments_IsRefusedOnDenyAndTimeout_AndEveryCallNeedsItsOwnApproval()
    {
        await using var stack = await TestStack.StartAsync(new TestStackOptions
        {
            Ros = new RosPart { Rosbridge = robot.Graph.BridgeUrl },
            Drivers = servers =>
            {
                servers["turtlebot"]!["ros"] = new JsonObject { ["safety"] = new JsonObject { ["allow_services"] = new JsonArray("/plan_path") } };
                servers["turtlebot"]!["approval"] = new JsonObject { ["services"] = new JsonArray("/plan*"), ["timeout_seconds"] = TimeoutSeconds };
            },
        });
        var baseUrl = stack.RosUrl;
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
        await Poll.UntilAsync(async () => JsonNode.Parse(await http.GetStringAsync(new Uri("/health", UriKind.Relative), Ct))!["connected"]!.GetValue<bool>(),
            "rosa ros to connect to rosbridge");
        await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri(baseUrl + "/mcp") }),
            new McpClientOptions { ProtocolVersion = "2025-11-25" }, cancellationToken: Ct);
        // A tolerance no other test uses: the robot's handler prints it once per call that reached it.
        const string Witness = "plan_path tolerance=0.3137 goal.x=1.4142";
        var plan = new Dictionary<string, object?>
        {
            ["service_name"] = "/plan_path",
            ["service_type"] = "nav_msgs/GetPlan",
            ["request"] = new { goal = new { pose = new { position = new { x = 1.4142 } } }, tolerance = 0.3137 },
        };
        int Reached() => robot.Graph.Robot.Lines.Count(l => l.Contains(Witness, StringComparison.Ordinal));
        var before = Reached();

        // 1. The call waits; the person sees driver, tool and the exact arguments; nothing reached the robot yet.
        var first = client.CallToolAsync("call_service", plan, cancellationToken: Ct).AsTask();
        var pending = await PendingAsync(http);
        Assert.Equal("turtlebot", pending["driver"]!.ToString());
        Assert.Equal("call_service", pending["tool"]!.ToString());
        Assert.Equal("/plan_path", pending["arguments"]!["service_name"]!.ToString());
        Assert.Equal(0.3137, pending["arguments"]!["request"]!["tolerance"]!.GetValue<double>());
        Assert.Contains("/plan*", pending["reason"]!.ToString(), StringComparison.Ordinal);
        Assert.False(first.IsCompleted);
        Assert.Equal(before, Reached());

        // Only a person decides, with a JSON body.
        var id = pending["id"]!.ToString();
        using (var agent = await http.PostAsJsonAsync(new Uri($"/approvals/{id}/approve", UriKind.Relative), new { by = "agent" }, Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, agent.StatusCode);
            Assert.Contains("only a person decides", await agent.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
        using (var form = new StringContent("by=ui", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"))
        using (var formResponse = await http.PostAsync(new Uri($"/approvals/{id}/approve", UriKind.Relative), form, Ct))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, formResponse.StatusCode);
        }
        // A decision bound to another call (wrong digest) decides nothing.
        using (var wrong = await http.PostAsJsonAsync(new Uri($"/approvals/{id}/approve", UriKind.Relative), new { by = "ui", digest = new string('0', 64) }, Ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, wrong.StatusCode);
        }
        Assert.False(first.IsCompleted);

        // 2. Approve: the call runs once, with exactly the approved arguments.
        using (var approve = await http.PostAsJsonAsync(new Uri($"/approvals/{id}/approve", UriKind.Relative), new { by = "cli", digest = pending["digest"]!.ToString() }, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, approve.StatusCode);
        }
        var ran = await first.WaitAsync(TestTimeouts.Effect, Ct);
        Assert.False(ran.IsError == true, Text(ran));
        await robot.Graph.Robot.WaitForLineAsync(l => l.Contains(Witness, StringComparison.Ordinal), TestTimeouts.Effect);
        Assert.Equal(before + 1, Reached());
        // The approval is used: approving its id again finds nothing.
        using (var again = await http.PostAsJsonAsync(new Uri($"/approvals/{id}/approve", UriKind.Relative), new { by = "ui" }, Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        }

        // 3. The identical call needs a new approval; Deny refuses it with a reason the model can act on.
        var second = client.CallToolAsync("call_service", plan, cancellationToken: Ct).AsTask();
        var pending2 = await PendingAsync(http);
        Assert.NotEqual(id, pending2["id"]!.ToString());
        Assert.Equal(pending["digest"]!.ToString(), pending2["digest"]!.ToString());
        using (var deny = await http.PostAsJsonAsync(new Uri($"/approvals/{pending2["id"]}/deny", UriKind.Relative), new { by = "ui", note = "not near the stairs" }, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, deny.StatusCode);
        }
        var denied = await second.WaitAsync(TestTimeouts.Effect, Ct);
        Assert.True(denied.IsError);
        Assert.Contains("call_service refused: a person (in the rosaOS UI) denied this call on turtlebot (\"not near the stairs\"); it did not run", Text(denied), StringComparison.Ordinal);

        // 4. Nobody decides: refused after the configured timeout.
        var third = await client.CallToolAsync("call_service", plan, cancellationToken: Ct).AsTask().WaitAsync(TestTimeouts.Effect, Ct);
        Assert.True(third.IsError);
        Assert.Contains($"call_service refused: no one approved within {TimeoutSeconds} s", Text(third), StringComparison.Ordinal);
        Assert.Equal(before + 1, Reached());

        // Reads never wait; the recent decisions say who decided each.
        Assert.False((await client.CallToolAsync("get_service_type", new Dictionary<string, object?> { ["service"] = "/plan_path" }, cancellationToken: Ct)).IsError == true);
        var list = JsonNode.Parse(await http.GetStringAsync(new Uri(ApprovalContract.HttpPath, UriKind.Relative), Ct))!;
        Assert.Empty(list["pending"]!.AsArray());
        var recent = list["recent"]!.AsArray().Select(r => $"{r!["decision"]} by {r["by"]}").ToList();
        Assert.Equal(["timed_out by timeout", "denied by ui", "approved by cli"], recent);
    }

    [Fact]
    public async Task Kernel_ListsWaitingCalls_AnnouncesThem_ForwardsAPersonsDecisionFromTheCliAndApi_AndAuditsWhoDecided()
    {
        var config = TestPaths.NewTempDirectory("rosapprovalcfg");
        var data = TestPaths.NewTempDirectory("rosapprovaldata");
        // rosa ros and rosa approvals find the kernel through RAG_AGENT_URL, set before either starts: the kernel's port is chosen ahead.
        var kernelPort = FreePort.Next();
        var drivers = new JsonObject
        {
            ["mcpServers"] = new JsonObject
            {
                ["turtlebot"] = new JsonObject
                {
                    ["url"] = TestStack.NotRunningUrl(),
                    ["description"] = "test turtlebot",
                    ["ros"] = new JsonObject { ["rosbridge"] = robot.Graph.BridgeUrl.ToString(), ["safety"] = new JsonObject { ["allow_services"] = new JsonArray("/plan_path") } },
                    ["approval"] = new JsonObject { ["tools"] = new JsonArray("call_service"), ["timeout_seconds"] = 120 },
                },
            },
        };
        await File.WriteAllTextAsync(Path.Combine(config, "drivers.json"), drivers.ToJsonString(), Ct);
        var env = new Dictionary<string, string?> { ["ROSAOS_DATA_DIR"] = data, ["ROSAOS_CONFIG_DIR"] = config, ["RAG_AGENT_URL"] = $"http://127.0.0.1:{kernelPort}" };
        await using var llm = await RosaOS.Testing.Llm.ScriptedLlmServer.StartAsync();
        await using var rosa = RosaProcess.StartRosa(["ros", "--name", "turtlebot", "--port", "0"], env);
        var port = (await rosa.WaitForListeningAsync("ros-turtlebot")).Port;
        // The kernel finds the driver where it listens.
        StackConfig.PointDriver(config, "turtlebot", $"http://localhost:{port}");
        await using var kernel = RosaProcess.StartRosa(["kernel", "--port", kernelPort.ToString(CultureInfo.InvariantCulture), "--process-port", "0"],
            new Dictionary<string, string?>(env) { ["LOCAL_LLM_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture), ["GROQ_API_KEY"] = "gsk_test", ["GROQ_BASE_URL"] = llm.GroqBaseUrl });
        await kernel.WaitForHttpAsync($"http://127.0.0.1:{kernelPort}/health");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{kernelPort}"), Timeout = TestTimeouts.Effect };
        using var events = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        using var stopEvents = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var reading = ReadEventsAsync(events, new Uri($"http://127.0.0.1:{kernelPort}/api/events"), seen, stopEvents.Token);
        await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri($"http://127.0.0.1:{port}/mcp"),
            AdditionalHeaders = new Dictionary<string, string> { [LeaseContract.Header] = "w-approval" },
        }), new McpClientOptions { ProtocolVersion = "2025-11-25" }, cancellationToken: Ct);
        await Poll.UntilAsync(async () => JsonNode.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/health"), Ct))!["connected"]!.GetValue<bool>(),
            "rosa ros to connect to rosbridge");
        Dictionary<string, object?> Plan(double tolerance) => new()
        {
            ["service_name"] = "/plan_path",
            ["service_type"] = "nav_msgs/GetPlan",
            ["request"] = new { tolerance, goal = new { pose = new { position = new { x = 0.5772 } } } },
        };

        // The kernel lists the waiting call and announces it on its event stream.
        var first = client.CallToolAsync("call_service", Plan(0.1618), cancellationToken: Ct).AsTask();
        var pending = await KernelPendingAsync(http);
        Assert.Equal("turtlebot", pending["driver"]!.ToString());
        Assert.Equal("w-approval", pending["caller"]!.ToString());
        var id = pending["id"]!.ToString();
        await Poll.UntilAsync(() => Task.FromResult(seen.Any(e => e.StartsWith("approval ", StringComparison.Ordinal) && e.Contains(id, StringComparison.Ordinal))),
            "the kernel's approval event");

        // `rosa approvals` lists it and approves it: the call runs once.
        await using (var list = RosaProcess.StartRosa(["approvals"], env))
        {
            Assert.Equal(0, await list.WaitForExitAsync(TestTimeouts.Effect));
            Assert.Contains($"{id}  turtlebot  call_service", list.Output, StringComparison.Ordinal);
        }
        await using (var approve = RosaProcess.StartRosa(["approvals", "--approve", id, "--note", "area is clear"], env))
        {
            Assert.Equal(0, await approve.WaitForExitAsync(TestTimeouts.Effect));
            Assert.Contains("Approved: turtlebot call_service", approve.Output, StringComparison.Ordinal);
        }
        Assert.False((await first.WaitAsync(TestTimeouts.Effect, Ct)).IsError == true);
        await robot.Graph.Robot.WaitForLineAsync(l => l.Contains("plan_path tolerance=0.1618 goal.x=0.5772", StringComparison.Ordinal), TestTimeouts.Effect);

        // Through the kernel API: an agent may not decide; a person denies.
        var second = client.CallToolAsync("call_service", Plan(0.1414), cancellationToken: Ct).AsTask();
        var id2 = (await KernelPendingAsync(http))["id"]!.ToString();
        using (var agent = await http.PostAsJsonAsync(new Uri($"/api/approvals/turtlebot/{id2}/approve", UriKind.Relative), new { by = "agent" }, Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, agent.StatusCode);
        }
        using (var deny = await http.PostAsJsonAsync(new Uri($"/api/approvals/turtlebot/{id2}/deny", UriKind.Relative), new { by = "ui", note = "someone is in the way" }, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, deny.StatusCode);
        }
        var denied = await second.WaitAsync(TestTimeouts.Effect, Ct);
        Assert.True(denied.IsError);
        Assert.Contains("a person (in the rosaOS UI) denied this call on turtlebot (\"someone is in the way\")", Text(denied), StringComparison.Ordinal);
        Assert.DoesNotContain("tolerance=0.1414", robot.Graph.Robot.Output, StringComparison.Ordinal);

        // The audit log says who decided each.
        var audit = await http.GetStringAsync(new Uri("/api/audit?limit=50", UriKind.Relative), Ct);
        Assert.Contains("call_service on turtlebot approved by cli: area is clear", audit, StringComparison.Ordinal);
        Assert.Contains("call_service on turtlebot denied by ui: someone is in the way", audit, StringComparison.Ordinal);
        Assert.Contains("approval_denied", audit, StringComparison.Ordinal);
        await stopEvents.CancelAsync();
        await reading;
    }

    private static async Task ReadEventsAsync(HttpClient http, Uri uri, System.Collections.Concurrent.ConcurrentQueue<string> seen, CancellationToken cancellationToken)
    {
        try
        {
            using var stream = await http.GetStreamAsync(uri, cancellationToken);
            using var reader = new StreamReader(stream);
            string? type = null;
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    type = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal) && type is not null)
                {
                    seen.Enqueue(type + " " + line[6..]);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException)
        {
        }
    }

    private static Task<JsonNode> KernelPendingAsync(HttpClient http) => PendingApprovals.FirstAsync(http, "/api/approvals", Ct);

    private static Task<JsonNode> PendingAsync(HttpClient http) => PendingApprovals.FirstAsync(http, ApprovalContract.HttpPath, Ct);

    private static string Text(CallToolResult result) => string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text));
}
