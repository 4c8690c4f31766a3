using System.Text.Json;
using RosaOS.Testing;

namespace RosaOS.Mcp.ReachyMini.Tests;

/// <summary>Wrong arguments get an error a model can act on (argument, what was given, what is expected), through a real MCP client.</summary>
public sealed class ArgumentErrorTests(OfflineServerFixture server) : IClassFixture<OfflineServerFixture>
{
    [Theory]
    [InlineData("goto_target", """{"head_yaw":"abc"}""", "argument 'head_yaw' must be a number, got the string \"abc\"")]
    [InlineData("goto_target", """{"head_yaw":"NaN"}""", "argument 'head_yaw' must be a number, got the string \"NaN\" (it is not a finite number)")]
    [InlineData("move_head_left", """{"multiple":2.5}""", "argument 'multiple' must be an integer, got the number 2.5 (it has a fractional part)")]
    [InlineData("move_head_left", """{"multiple":"three"}""", "argument 'multiple' must be an integer, got the string \"three\"")]
    [InlineData("speak", """{}""", "argument 'text' is required (a string) but was not given")]
    [InlineData("speak", """{"text":null}""", "argument 'text' must be a string, got null")]
    [InlineData("play_emotion", """{"emotion":["happy"]}""", "argument 'emotion' must be a string, got an array of 1 item(s)")]
    public async Task WrongArgument_IsNamedWithWhatWasGivenAndWhatIsExpected(string tool, string arguments, string expected)
    {
        await using var client = await McpTestClient.ConnectAsync(server.McpUrl, TestContext.Current.CancellationToken);
        var (text, isError) = await client.CallRawAsync(tool, arguments);

        Assert.True(isError, text);
        Assert.Contains(expected, text, StringComparison.Ordinal);
        Assert.DoesNotContain("An error occurred", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ToolSchemas_HaveOneTypePerProperty()
    {
        await using var client = await McpTestClient.ConnectAsync(server.McpUrl, TestContext.Current.CancellationToken);
        var tools = await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);

        foreach (var tool in tools)
        {
            foreach (var property in tool.JsonSchema.GetProperty("properties").EnumerateObject())
            {
                Assert.True(!property.Value.TryGetProperty("type", out var type) || type.ValueKind == JsonValueKind.String,
                    $"{tool.Name}.{property.Name}: {property.Value.GetRawText()}");
            }
        }
    }
}

/// <summary>Lax values the original's pydantic accepts reach the robot: 2.0 for an integer, "15" for a number.</summary>
public sealed class LaxArgumentTests(SimFixture sim) : IClassFixture<SimFixture>
{
    [Fact]
    public async Task IntegralFloatAndNumericString_AreAccepted()
    {
        await using var client = await McpTestClient.ConnectAsync(sim.McpUrl, TestContext.Current.CancellationToken);
        var (reset, resetError) = await client.CallAsync("reset_head");
        Assert.False(resetError, reset);

        var (left, leftError) = await client.CallRawAsync("move_head_left", """{"multiple":2.0}""");
        Assert.False(leftError, left);
        Assert.Contains("→ 60", left, StringComparison.Ordinal);

        var (gotoText, gotoError) = await client.CallRawAsync("goto_target", """{"head_yaw":"15","duration":"0.5"}""");
        Assert.False(gotoError, gotoText);
        var state = await Poll.ForAsync(() => sim.Daemon.GetFullStateAsync(TestContext.Current.CancellationToken),
            s => Math.Abs((s.HeadPose?.Yaw ?? 0) * 180 / Math.PI - 15) < 1, "head yaw 15°", TimeSpan.FromSeconds(3));
        Assert.NotNull(state);
    }
}
