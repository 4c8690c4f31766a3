using RosaOS.Testing;

namespace RosaOS.Mcp.ReachyMini.Tests;

/// <summary>The robot's daemon goes away and comes back while <c>rosa reachy</c> keeps serving.</summary>
public sealed class DaemonRestartTests
{
    [Fact]
    public async Task Tools_ReportTheOutage_ThenWorkAgainOnceTheDaemonIsBack()
    {
        var simPort = FreePort.Next();
        var sim = await SimProcesses.StartSimAsync(simPort);
        await using var reachy = await SimProcesses.StartReachyAsync(FreePort.Next(), $"http://127.0.0.1:{simPort}");
        var url = McpUrlOf(reachy);
        await using var client = await McpTestClient.ConnectAsync(url, TestContext.Current.CancellationToken);
        try
        {
            var (before, beforeError) = await client.CallAsync("stop_move");
            Assert.False(beforeError, before);

            await sim.DisposeAsync();
            var (during, duringError) = await client.CallAsync("goto_target", new() { ["head_yaw"] = 10 });
            Assert.True(duringError);
            Assert.Contains("not reachable", during, StringComparison.Ordinal);

            sim = await SimProcesses.StartSimAsync(simPort);
            var (after, afterError) = await client.CallAsync("goto_target", new() { ["head_yaw"] = 10 });
            Assert.False(afterError, after);
            Assert.Contains("Reached the target", after, StringComparison.Ordinal);
            Assert.False(reachy.HasExited);
        }
        finally
        {
            await sim.DisposeAsync();
        }
    }

    private static string McpUrlOf(RosaProcess reachy)
        => reachy.Lines.Select(RosaOS.Hosting.BoundAddresses.Parse).First(a => a?.Name == "reachy")!.Url.GetLeftPart(UriPartial.Authority) + "/mcp";
}
