using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using RosaOS.EmergencyStop;
using RosaOS.Mcp.Kasa.Protocol;
using RosaOS.Testing;

namespace RosaOS.Mcp.Kasa.Tests;

/// <summary>
/// A person decides the risky calls on the light: a `rosa kasa --sim` whose drivers.json entry gates set_brightness behind
/// approval. The simulated bulb, read over its own XOR protocol, is the witness of what ran.
/// </summary>
public sealed class ApprovalTests
{
    private const double TimeoutSeconds = 3;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Set_brightness_waits_for_a_person_runs_once_after_approve_is_refused_on_deny_and_timeout_and_ungated_tools_run_at_once()
    {
        await using var stack = await TestStack.StartAsync(new TestStackOptions
        {
            Kasa = new KasaPart(),
            Drivers = servers => servers[KasaCommand.DefaultName]!["approval"] =
                new JsonObject { ["tools"] = new JsonArray("set_brightness", "turn_off_light"), ["timeout_seconds"] = TimeoutSeconds },
        });
        using var http = new HttpClient { BaseAddress = new Uri(stack.KasaUrl) };
        using var health = JsonDocument.Parse(await http.GetStringAsync(new Uri("/health", UriKind.Relative), Ct));
        var bulb = new KasaBulb(new XorTransport("127.0.0.1", health.RootElement.GetProperty("simulated").GetProperty("xor_port").GetInt32(), TimeSpan.FromSeconds(10)));
        await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri($"{stack.KasaUrl}/mcp") }),
            new McpClientOptions { ProtocolVersion = "2025-11-25" }, cancellationToken: Ct);

        // A tool the policy does not name runs at once.
        var (white, whiteError) = await CallAsync(client, "set_preset_color", """{"color":"white"}""");
        Assert.False(whiteError, white);
        Assert.Empty(JsonNode.Parse(await http.GetStringAsync(new Uri(ApprovalContract.HttpPath, UriKind.Relative), Ct))!["recent"]!.AsArray());
        var start = (await bulb.GetStateAsync(Ct)).Brightness;
        Assert.NotEqual(37, start);

        // 1. The gated call waits with its exact arguments; the bulb is unchanged.
        var first = CallAsync(client, "set_brightness", """{"brightness":37}""");
        var pending = await PendingAsync(http);
        Assert.Equal(KasaCommand.DefaultName, pending["driver"]!.ToString());
        Assert.Equal("set_brightness", pending["tool"]!.ToString());
        Assert.Equal(37, pending["arguments"]!["brightness"]!.GetValue<int>());
        Assert.False(first.IsCompleted);
        Assert.Equal(start, (await bulb.GetStateAsync(Ct)).Brightness);

        // 2. Approved: it runs once with exactly those arguments.
        var id = pending["id"]!.ToString();
        using (var approve = await http.PostAsJsonAsync(new Uri($"/approvals/{id}/approve", UriKind.Relative), new { by = "ui", digest = pending["digest"]!.ToString() }, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, approve.StatusCode);
        }
        var (ran, ranError) = await first.WaitAsync(TestTimeouts.Effect, Ct);
        Assert.False(ranError, ran);
        Assert.Equal(37, (await bulb.GetStateAsync(Ct)).Brightness);
        using (var again = await http.PostAsJsonAsync(new Uri($"/approvals/{id}/approve", UriKind.Relative), new { by = "ui" }, Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        }

        // 3. Denied: refused, the light stays on.
        var off = CallAsync(client, "turn_off_light");
        var pending2 = await PendingAsync(http);
        using (var deny = await http.PostAsJsonAsync(new Uri($"/approvals/{pending2["id"]}/deny", UriKind.Relative), new { by = "cli" }, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, deny.StatusCode);
        }
        var (denied, deniedError) = await off.WaitAsync(TestTimeouts.Effect, Ct);
        Assert.True(deniedError, denied);
        Assert.Contains($"turn_off_light refused: a person (with rosa approvals) denied this call on {KasaCommand.DefaultName}; it did not run", denied, StringComparison.Ordinal);
        Assert.True((await bulb.GetStateAsync(Ct)).On);

        // 4. The identical call needs a new approval; nobody decides, so it is refused at the timeout.
        var repeat = CallAsync(client, "set_brightness", """{"brightness":37}""");
        var pending3 = await PendingAsync(http);
        Assert.NotEqual(id, pending3["id"]!.ToString());
        Assert.Equal(pending["digest"]!.ToString(), pending3["digest"]!.ToString());
        var (timedOut, timedOutError) = await repeat.WaitAsync(TestTimeouts.Effect, Ct);
        Assert.True(timedOutError, timedOut);
        Assert.Contains($"set_brightness refused: no one approved within {TimeoutSeconds.ToString(CultureInfo.InvariantCulture)} s", timedOut, StringComparison.Ordinal);

        var list = JsonNode.Parse(await http.GetStringAsync(new Uri(ApprovalContract.HttpPath, UriKind.Relative), Ct))!;
        Assert.Equal(["timed_out by timeout", "denied by cli", "approved by ui"], list["recent"]!.AsArray().Select(r => $"{r!["decision"]} by {r["by"]}"));
    }

    [Fact]
    public async Task A_policy_naming_ROS_services_or_an_unknown_tool_stops_the_start_with_the_reason()
    {
        var config = TestPaths.NewTempDirectory("kasaapprovalbad");
        var driversPath = Path.Combine(config, "drivers.json");
        await File.WriteAllTextAsync(driversPath, Drivers("""{"services": ["/light/*"]}"""), Ct);
        await using (var ros = RosaProcess.StartRosa(["kasa", "--sim", "--port", "0", "--drivers", driversPath]))
        {
            Assert.Equal(2, await ros.WaitForExitAsync(TestTimeouts.Effect));
            Assert.Contains("approval \"services\" apply only to ROS drivers", ros.Output, StringComparison.Ordinal);
        }
        await File.WriteAllTextAsync(driversPath, Drivers("""{"tools": ["turn_off"]}"""), Ct);
        await using (var typo = RosaProcess.StartRosa(["kasa", "--sim", "--port", "0", "--drivers", driversPath]))
        {
            Assert.Equal(2, await typo.WaitForExitAsync(TestTimeouts.Effect));
            Assert.Contains("approval tools 'turn_off' are not tools of this driver", typo.Output, StringComparison.Ordinal);
            Assert.Contains("turn_off_light", typo.Output, StringComparison.Ordinal);
        }
        Directory.Delete(config, recursive: true);
    }

    /// <summary>A drivers.json whose light entry has this approval section.</summary>
    private static string Drivers(string approval)
        => "{\"mcpServers\": {\"" + KasaCommand.DefaultName + "\": {\"url\": \"http://localhost:5002/mcp\", \"approval\": " + approval + "}}}";

    private static async Task<(string Text, bool IsError)> CallAsync(McpClient client, string tool, string json = "{}")
    {
        var result = await client.CallToolAsync(new CallToolRequestParams { Name = tool, Arguments = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)! }, Ct);
        return (string.Join("\n", result.Content.OfType<TextContentBlock>().Select(b => b.Text)), result.IsError == true);
    }

    private static Task<JsonNode> PendingAsync(HttpClient http) => PendingApprovals.FirstAsync(http, ApprovalContract.HttpPath, Ct);
}
