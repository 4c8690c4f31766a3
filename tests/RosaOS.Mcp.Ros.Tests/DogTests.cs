// Each call here is bounded by its own timeout (TestTimeouts); the test-cancellation token would add nothing.
#pragma warning disable xUnit1051
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using RosaOS.Testing;

namespace RosaOS.Mcp.Ros.Tests;

/// <summary>
/// The small legged robot of issue 16: `rosa rossim --kind dog` behind `rosa ros` with the shipped "dog" entry of
/// drivers.json (its allow list and speed bounds), driven exactly as the shipped dog prompt says (config/prompts/dog.txt).
/// </summary>
public sealed class DogTests
{
    [Fact]
    public async Task The_simulated_dog_walks_and_turns_through_the_services_the_shipped_dog_prompt_names()
    {
        // The shipped config with its "dog" entry switched on and pointed at the simulated dog (TestStack does what rosa up does).
        await using var stack = await TestStack.StartAsync(new TestStackOptions
        {
            RosSim = new RosSimPart { Name = "dog", Arguments = ["--kind", "dog"] },
            Ros = new RosPart { Name = "dog", WaitConnected = true },
        });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri($"{stack.RosUrl}/mcp") }),
            new McpClientOptions { ProtocolVersion = "2025-11-25" });
        async Task<JsonObject> StateAsync() => JsonNode.Parse(await http.GetStringAsync(new Uri($"{stack.RosSimUrl}/api/state")))!.AsObject();
        async Task<(bool Error, string Text)> CallAsync(string tool, object args)
        {
            var result = await client.CallToolAsync(tool, JsonSerializer.Deserialize<Dictionary<string, object?>>(JsonSerializer.Serialize(args))!);
            return (result.IsError == true, string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text)));
        }

        var state = await StateAsync();
        Assert.Equal("dog", state["kind"]!.GetValue<string>());
        var start = state["pose"]!;
        Assert.Contains("\"kind\":\"dog\"", await http.GetStringAsync(new Uri($"{stack.RosSimUrl}/health")), StringComparison.Ordinal);

        // The prompt's own call: 10 cm forward at 0.5 (the entry's upper speed bound). The service answers once the walk is done.
        var (error, text) = await CallAsync("call_service", new
        {
            request = new { distance = 10, speed = 0.5 },
            service_name = "/puppy/move_distance_trigger",
            service_type = "puppy_control_msgs/srv/MoveDistanceTrigger",
            timeout = 15,
        });
        Assert.False(error, text);
        Assert.True(JsonNode.Parse(text)!["response"]!["success"]!.GetValue<bool>(), text);
        var walked = (await StateAsync())["pose"]!;
        var yaw = start["yaw"]!.GetValue<double>();
        var forward = ((walked["x"]!.GetValue<double>() - start["x"]!.GetValue<double>()) * Math.Cos(yaw)) + ((walked["y"]!.GetValue<double>() - start["y"]!.GetValue<double>()) * Math.Sin(yaw));
        Assert.InRange(forward, 0.07, 0.13);

        // "Same with rotate": a quarter turn to the left.
        (error, text) = await CallAsync("call_service", new
        {
            request = new { angle = 90, speed = 1.0 },
            service_name = "/puppy/rotate_angle_trigger",
            service_type = "puppy_control_msgs/srv/RotateAngleTrigger",
            timeout = 15,
        });
        Assert.False(error, text);
        var turned = (await StateAsync())["pose"]!["yaw"]!.GetValue<double>();
        Assert.InRange(Math.Abs(Math.IEEERemainder(turned - yaw - (Math.PI / 2), 2 * Math.PI)), 0, 0.08);

        // The shipped entry's bound on speed holds below the model: 0.8 is clamped to 0.5 by rosa ros and said so; 20 cm back.
        var before = (await StateAsync())["pose"]!;
        (error, text) = await CallAsync("call_service", new
        {
            request = new { distance = -20, speed = 0.8 },
            service_name = "/puppy/move_distance_trigger",
            service_type = "puppy_control_msgs/srv/MoveDistanceTrigger",
            timeout = 15,
        });
        Assert.False(error, text);
        var answer = JsonNode.Parse(text)!;
        Assert.Equal(0.5, answer["request"]!["speed"]!.GetValue<double>());
        Assert.Contains("speed", answer["clamped"]![0]!.ToString(), StringComparison.Ordinal);
        var back = (await StateAsync())["pose"]!;
        var moved = ((back["x"]!.GetValue<double>() - before["x"]!.GetValue<double>()) * Math.Cos(turned)) + ((back["y"]!.GetValue<double>() - before["y"]!.GetValue<double>()) * Math.Sin(turned));
        Assert.InRange(moved, -0.23, -0.17);

        // Its camera is the entry's camera_topic.
        (error, text) = await CallAsync("capture_camera_image", new { timeout = 20 });
        Assert.False(error, text);
        var bytes = await File.ReadAllBytesAsync(JsonNode.Parse(text)!["image_path"]!.GetValue<string>());
        Assert.Equal([0xFF, 0xD8, 0xFF], bytes[..3]);
    }
}
