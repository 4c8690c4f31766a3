using RosaOS.Testing;

namespace RosaOS.Mcp.ReachyMini.Tests;

/// <summary>The robot's daemon goes away and comes back while <c>rosa reachy</c> keeps serving.</summary>
public sealed class DaemonRestartTests
{
    [Fact]
    public async Task Tools_ReportTheOutage_ThenWorkAgainOnceTheDaemonIsBack()
    {
        await using var stack = await TestStack.StartAsync(new TestStackOptions { Sim = new SimPart { WaitAwake = true }, Reachy = new ReachyPart() });
        await using var client = await McpTestClient.ConnectAsync(stack.ReachyUrl + "/mcp", TestContext.Current.CancellationToken);
        var (before, beforeError) = await client.CallAsync("stop_move");
        Assert.False(beforeError, before);

        await stack.StopAsync(StackService.Sim);
        var (during, duringError) = await client.CallAsync("goto_target", new() { ["head_yaw"] = 10 });
        Assert.True(duringError);
        Assert.Contains("not reachable", during, StringComparison.Ordinal);

        // The daemon comes back where rosa reachy looks for it.
        await stack.StartAgainAsync(StackService.Sim);
        var (after, afterError) = await client.CallAsync("goto_target", new() { ["head_yaw"] = 10 });
        Assert.False(afterError, after);
        Assert.Contains("Reached the target", after, StringComparison.Ordinal);
        Assert.False(stack.Reachy!.HasExited);
    }
}
