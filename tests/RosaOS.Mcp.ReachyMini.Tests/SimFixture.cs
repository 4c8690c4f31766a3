using System.Globalization;
using RosaOS.ReachyMini.Client;
using RosaOS.Testing;

namespace RosaOS.Mcp.ReachyMini.Tests;

/// <summary>Starts real <c>rosa sim</c> processes (with the emotions dataset) and <c>rosa reachy</c> servers on port 0: each reports
/// the port it got (<see cref="UrlAsync"/>).</summary>
internal static class SimProcesses
{
    public const string EmotionsDataset = "pollen-robotics/reachy-mini-emotions-library";

    /// <summary>Starts <c>rosa sim</c> on <paramref name="port"/>: 0 lets the OS choose; a restart passes the port the first start got.</summary>
    public static async Task<RosaProcess> StartSimAsync(int port = 0)
    {
        var sim = RosaProcess.StartRosa(["sim", "--port", port.ToString(CultureInfo.InvariantCulture), "--dataset", $"{EmotionsDataset}={TestPaths.EmotionsLibrary}"]);
        using var client = new ReachyDaemonClient(new ReachyDaemonClientOptions { BaseAddress = new Uri(await UrlAsync(sim, "sim")) });
        // Wake-up at start is a move: wait until the robot is running and idle.
        await Poll.UntilAsync(async () => (await client.GetStatusAsync()).State == RosaOS.ReachyMini.Protocol.DaemonState.Running
            && (await client.GetRunningMovesAsync()).Count == 0, "the simulated robot to be awake and idle");
        return sim;
    }

    /// <summary>Starts <c>rosa reachy</c> on port 0 and waits until it listens.</summary>
    public static async Task<RosaProcess> StartReachyAsync(string daemonUrl, IDictionary<string, string?>? environment = null, params string[] extra)
    {
        var reachy = RosaProcess.StartRosa(["reachy", "--port", "0", "--daemon", daemonUrl, .. extra], environment);
        await reachy.WaitForListeningAsync("reachy");
        return reachy;
    }

    /// <summary>The base URL (<c>http://127.0.0.1:port</c>) a service reported it listens on as <paramref name="name"/>.</summary>
    public static async Task<string> UrlAsync(RosaProcess process, string name)
        => (await process.WaitForListeningAsync(name)).GetLeftPart(UriPartial.Authority);
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
        Sim = await SimProcesses.StartSimAsync();
        DaemonUrl = await SimProcesses.UrlAsync(Sim, "sim");
        Daemon = new ReachyDaemonClient(new ReachyDaemonClientOptions { BaseAddress = new Uri(DaemonUrl) });
        Reachy = await SimProcesses.StartReachyAsync(DaemonUrl);
        McpUrl = await SimProcesses.UrlAsync(Reachy, "reachy") + "/mcp";
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
