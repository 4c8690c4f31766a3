using System.Globalization;
using RosaOS.ReachyMini.Client;
using RosaOS.Testing;

namespace RosaOS.Mcp.ReachyMini.Tests;

/// <summary>Starts real <c>rosa sim</c> processes (with the emotions dataset) and <c>rosa reachy</c> servers on free ports.</summary>
internal static class SimProcesses
{
    public const string EmotionsDataset = "pollen-robotics/reachy-mini-emotions-library";

    public static async Task<RosaProcess> StartSimAsync(int port)
    {
        var sim = RosaProcess.StartRosa(["sim", "--port", port.ToString(CultureInfo.InvariantCulture), "--dataset", $"{EmotionsDataset}={TestPaths.EmotionsLibrary}"]);
        await sim.WaitForHttpAsync($"http://127.0.0.1:{port}/api/daemon/status");
        using var client = new ReachyDaemonClient(new ReachyDaemonClientOptions { BaseAddress = new Uri($"http://127.0.0.1:{port}") });
        // Wake-up at start is a move: wait until the robot is running and idle.
        await Poll.UntilAsync(async () => (await client.GetStatusAsync()).State == RosaOS.ReachyMini.Protocol.DaemonState.Running
            && (await client.GetRunningMovesAsync()).Count == 0, "the simulated robot to be awake and idle");
        return sim;
    }

    public static async Task<RosaProcess> StartReachyAsync(int port, string daemonUrl, IDictionary<string, string?>? environment = null, params string[] extra)
    {
        var reachy = RosaProcess.StartRosa(["reachy", "--port", port.ToString(CultureInfo.InvariantCulture), "--daemon", daemonUrl, .. extra], environment);
        await reachy.WaitForHttpAsync($"http://127.0.0.1:{port}/health");
        return reachy;
    }
}

/// <summary>One simulated robot and one MCP server for a test class; tests in a class run one after another.</summary>
public sealed class SimFixture : IAsyncLifetime
{
    public RosaProcess Sim { get; private set; } = null!;
    public RosaProcess Reachy { get; private set; } = null!;
    public ReachyDaemonClient Daemon { get; private set; } = null!;
    public string DaemonUrl { get; private set; } = "";
    public string McpUrl { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        var simPort = FreePort.Next();
        DaemonUrl = $"http://127.0.0.1:{simPort}";
        Sim = await SimProcesses.StartSimAsync(simPort);
        Daemon = new ReachyDaemonClient(new ReachyDaemonClientOptions { BaseAddress = new Uri(DaemonUrl) });
        var port = FreePort.Next();
        Reachy = await SimProcesses.StartReachyAsync(port, DaemonUrl);
        McpUrl = $"http://127.0.0.1:{port}/mcp";
    }

    public async ValueTask DisposeAsync()
    {
        Daemon?.Dispose();
        if (Reachy is not null)
        {
            await Reachy.DisposeAsync();
        }
        if (Sim is not null)
        {
            await Sim.DisposeAsync();
        }
    }
}
