using ModelContextProtocol.Client;
using RosaOS.Testing;

namespace RosaOS.Mcp.ReachyMini.Tests;

/// <summary>
/// The MCP conformance suite (npm @modelcontextprotocol/conformance on Node 24) against a real <c>rosa reachy</c>,
/// for the server scenarios that apply to a server without the suite's fixture tools. The other scenarios
/// (tools-call-*, resources-*, prompts-*, completion, elicitation, sampling, SSE polling) call fixture tools,
/// resources and prompts named by the suite (test_simple_text, …) that a robot server does not have.
/// </summary>
public sealed class ConformanceTests(OfflineServerFixture server) : IClassFixture<OfflineServerFixture>
{
    [Theory]
    [InlineData("server-initialize")]
    [InlineData("ping")]
    [InlineData("tools-list")]
    [InlineData("logging-set-level")]
    [InlineData("dns-rebinding-protection")]
    public async Task Scenario_Passes(string scenario)
    {
        var node = TestPaths.NodeExecutable;
        var suite = Path.Combine(TestPaths.ToolsDir, "node", "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js");
        Assert.True(File.Exists(node) && File.Exists(suite), $"Node 24 and the conformance suite are installed by scripts/install.sh ({node}, {suite}).");
        var workDir = TestPaths.NewTempDirectory("conformance");

        await using var run = RosaProcess.Start(node, [suite, "server", "--url", $"http://localhost:{server.Port}/mcp", "--scenario", scenario],
            workingDirectory: workDir, name: "conformance " + scenario);
        var code = await run.WaitForExitAsync(TimeSpan.FromSeconds(90));

        Assert.True(code == 0, run.Output);
        Assert.Matches(@"Passed: (\d+)/\1, 0 failed", run.Output);
    }
}

/// <summary><c>rosa reachy --stdio</c> serves the same tools to a desktop MCP client over stdin/stdout.</summary>
public sealed class StdioTests
{
    [Fact]
    public async Task Stdio_ListsTheSameTools_AndAnswersCalls()
    {
        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Command = TestPaths.RosaExecutable,
            Arguments = ["reachy", "--stdio", "--daemon", $"http://127.0.0.1:{FreePort.Next()}"],
            Name = "rosa reachy --stdio",
        });
        await using var client = await McpClient.CreateAsync(transport, new McpClientOptions { ProtocolVersion = "2025-11-25" },
            cancellationToken: TestContext.Current.CancellationToken);

        var tools = await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);
        var (emotions, isError) = await client.CallAsync("list_emotions");
        var (move, moveError) = await client.CallAsync("move_head_left");

        Assert.Equal(20, tools.Count); // 8 motion, emotion and speech tools + 6 vision tools + move_to_audio + 3 watch tools + 2 emergency-stop tools
        Assert.False(isError);
        Assert.Contains("cheerful", emotions, StringComparison.Ordinal);
        Assert.True(moveError);
        Assert.Contains("not reachable", move, StringComparison.Ordinal);
    }
}
