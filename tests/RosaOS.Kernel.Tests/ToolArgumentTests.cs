using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using RosaOS.Testing;
using RosaOS.Testing.Llm;
using static RosaOS.Kernel.Tests.Asker;

namespace RosaOS.Kernel.Tests;

/// <summary>
/// The process manager's tools bind arguments like the original's pydantic and name what is wrong otherwise: over its
/// MCP server and for the in-process kernel agent alike (the shared RosaOS.Mcp.Arguments layer).
/// </summary>
public sealed class ToolArgumentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(string Text, bool IsError)> CallRawAsync(McpClient client, string tool, string json)
    {
        var result = await client.CallToolAsync(new CallToolRequestParams
        {
            Name = tool,
            Arguments = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!,
        }, Ct);
        return (string.Join("\n", result.Content.OfType<TextContentBlock>().Select(b => b.Text)), result.IsError == true);
    }

    [Fact]
    public async Task Mcp_wrong_types_name_the_argument_and_lax_values_are_accepted()
    {
        await using var kernel = await KernelHarness.StartAsync(null, extraArgs: ["--pool-size", "0"]);
        await using var mcp = await McpClient.CreateAsync(
            new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri($"http://127.0.0.1:{kernel.ProcessPort}/mcp") }),
            new McpClientOptions { ProtocolVersion = "2025-11-25" }, cancellationToken: Ct);

        var (robots, robotsError) = await CallRawAsync(mcp, "launch_process", """{"system_prompt":"look around","robots":"reachy-mini"}""");
        Assert.True(robotsError, robots);
        Assert.Contains("'robots'", robots, StringComparison.Ordinal);
        Assert.Contains("the string \"reachy-mini\"", robots, StringComparison.Ordinal);
        Assert.Contains("an array of strings", robots, StringComparison.Ordinal);
        Assert.Empty(await kernel.RunningAsync());

        var (missing, missingError) = await CallRawAsync(mcp, "launch_process", """{"system_prompt":null}""");
        Assert.True(missingError, missing);
        Assert.Contains("'system_prompt'", missing, StringComparison.Ordinal);
        Assert.Contains("got null", missing, StringComparison.Ordinal);

        // "true" is a boolean to pydantic: the call reaches the tool, which answers normally.
        var (forced, forcedError) = await CallRawAsync(mcp, "terminate_process", """{"worker_id":"nope","force":"true"}""");
        Assert.False(forcedError, forced);
        Assert.Equal("Process not found.", forced);
        var (badForce, badForceError) = await CallRawAsync(mcp, "terminate_process", """{"worker_id":"nope","force":"sometimes"}""");
        Assert.True(badForceError, badForce);
        Assert.Contains("'force' must be a boolean (true or false), got the string \"sometimes\"", badForce, StringComparison.Ordinal);

        var tools = await mcp.ListToolsAsync(cancellationToken: Ct);
        var schema = tools.Single(t => t.Name == "launch_process").JsonSchema;
        Assert.Equal(JsonValueKind.String, schema.GetProperty("properties").GetProperty("robots").GetProperty("type").ValueKind);
        Assert.Equal("array", schema.GetProperty("properties").GetProperty("robots").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Kernel_agent_gets_the_binding_error_and_no_worker_starts()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.When(KernelOn("look"), ScriptedTurn.Call("launch_process", new { system_prompt = "Look around.", robots = "reachy-mini" }));
        llm.When(KernelAfterTool, ScriptedTurn.Say("I will fix my call"));
        await using var kernel = await KernelHarness.StartAsync(llm, extraArgs: ["--pool-size", "0"]);

        await kernel.ChatAsync("look");

        var after = await llm.WaitForRequestAsync(KernelAfterTool);
        var toolText = after.Messages[^1].Text;
        Assert.Contains("'robots'", toolText, StringComparison.Ordinal);
        Assert.Contains("the string \"reachy-mini\"", toolText, StringComparison.Ordinal);
        Assert.DoesNotContain("An error occurred", toolText, StringComparison.Ordinal);
        Assert.Empty(await kernel.RunningAsync());
        var schema = llm.ChatRequests.First(IsKernel).Json!.Value.GetRawText();
        Assert.DoesNotContain("[\"array\",\"null\"]", schema, StringComparison.Ordinal);
    }
}
