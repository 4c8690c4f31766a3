// Each call here is bounded by its own timeout (TestTimeouts); the test-cancellation token would add nothing.
#pragma warning disable xUnit1051
using System.Globalization;
using System.Text.Json.Nodes;
using RosaOS.RosBridge;
using RosaOS.Testing;

namespace RosaOS.RosSim.Tests;

/// <summary>A real `rosa rossim` on a free loopback port and a rosbridge client connected to it; one per test, so robots never share state.</summary>
public sealed class RosSimProcess : IAsyncDisposable
{
    private RosSimProcess(RosaProcess process, int port, RosBridgeClient client)
    {
        Process = process;
        Port = port;
        Client = client;
        Api = new RosApi(client);
    }

    public RosaProcess Process { get; }

    public int Port { get; }

    public RosBridgeClient Client { get; }

    public RosApi Api { get; }

    public Uri BridgeUrl => new($"ws://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}");

    public static async Task<RosSimProcess> StartAsync(string name = "simbot")
    {
        // Port 0: the simulator reports the port it got.
        var process = RosaProcess.StartRosa(["rossim", "--name", name, "--port", "0"]);
        var port = (await process.WaitForListeningAsync("rossim-" + name, TestTimeouts.Startup)).Port;
        var client = new RosBridgeClient(new RosBridgeOptions { Url = new Uri($"ws://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"), RequestTimeout = TimeSpan.FromSeconds(20) });
        await client.ConnectAsync(CancellationToken.None);
        return new RosSimProcess(process, port, client);
    }

    /// <summary>The next message on a topic (a fresh subscription).</summary>
    public async Task<JsonObject> NextAsync(string topic, Func<JsonObject, bool>? accept = null, TimeSpan? timeout = null)
    {
        await using var subscription = await Client.SubscribeAsync(topic, null);
        var deadline = DateTime.UtcNow + (timeout ?? TestTimeouts.Effect);
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"No accepted message on {topic}");
            }
            var message = await subscription.NextAsync(left);
            if (accept is null || accept(message))
            {
                return message;
            }
        }
    }

    public async Task<(double X, double Y)> PositionAsync()
    {
        var odom = await NextAsync("/odom");
        var p = odom["pose"]!["pose"]!["position"]!;
        return (p["x"]!.GetValue<double>(), p["y"]!.GetValue<double>());
    }

    /// <summary>Streams a Twist at 10 Hz for <paramref name="seconds"/>, as a teleop does.</summary>
    public async Task DriveAsync(double linear, double angular, double seconds)
    {
        await using var publisher = await Client.AdvertiseAsync("/cmd_vel", "geometry_msgs/msg/Twist");
        var end = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        while (DateTime.UtcNow < end)
        {
            await publisher.PublishAsync(new JsonObject { ["linear"] = new JsonObject { ["x"] = linear }, ["angular"] = new JsonObject { ["z"] = angular } });
            await Task.Delay(100); // the teleop's 10 Hz rate, not a wait for state
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Process.DisposeAsync();
    }
}
