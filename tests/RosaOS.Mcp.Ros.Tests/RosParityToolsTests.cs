// Each call here is bounded by its own timeout (TestTimeouts); the test-cancellation token would add nothing.
#pragma warning disable xUnit1051
using System.Text.Json.Nodes;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace RosaOS.Mcp.Ros.Tests;

/// <summary>
/// The ros-mcp-server tools, resources and prompts the first port lacked (issue 18), through a real MCP client against
/// `rosa rossim`: parameter existence and details, verified robot specs, a saved image shown again.
/// </summary>
[Collection(RosSimRobotCollection.Name)]
public sealed class RosParityToolsTests(RosSimRobotFixture robot)
{
    [Fact]
    public async Task Parameters_ExistenceAndDetails_AsTheGraphHasThem()
    {
        var has = await robot.CallAsync("has_parameter", new { name = "/motion_control:max_speed" });
        Assert.True(has["exists"]!.GetValue<bool>());
        var missing = await robot.CallAsync("has_parameter", new { name = "/motion_control:no_such_thing" });
        Assert.False(missing["exists"]!.GetValue<bool>());
        Assert.Contains("not set", missing["reason"]!.ToString(), StringComparison.Ordinal);

        var details = await robot.CallAsync("get_parameter_details", new { name = "/motion_control:max_speed" });
        Assert.Equal(0.306, details["value"]!.GetValue<double>());
        Assert.Equal("double", details["type"]!.ToString());
        Assert.Equal("/motion_control", details["node"]!.ToString());
        Assert.Equal("max_speed", details["parameter"]!.ToString());
        Assert.Contains("'max_speed'", await robot.CallFailingAsync("has_parameter", new { name = "max_speed" }), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectToRobot_TakesTheOriginalsArguments_ButOnlyThisRobotsAddress()
    {
        var connected = await robot.CallAsync("connect_to_robot", new { ip = "127.0.0.1", port = robot.BridgePort });
        Assert.True(connected["connected"]!.GetValue<bool>());
        Assert.Equal(2, connected["ros_version"]!.GetValue<int>());
        Assert.True((await robot.CallAsync("connect_to_robot"))["connected"]!.GetValue<bool>());
        var refused = await robot.CallFailingAsync("connect_to_robot", new { ip = "10.0.0.7", port = 9090 });
        Assert.Contains("drives only turtlebot", refused, StringComparison.Ordinal);
        Assert.Contains("'10.0.0.7'", refused, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifiedRobots_ComeFromDriversJson_WithTheirSpec()
    {
        var list = await robot.CallAsync("get_verified_robots_list");
        Assert.Equal(["turtlebot"], list["robot_specifications"]!.AsArray().Select(n => n!.ToString()));
        var spec = await robot.CallAsync("get_verified_robot_spec", new { name = "turtlebot" });
        Assert.Equal("/oakd/rgb/preview/image_raw/compressed", spec["camera_topic"]!.ToString());
        Assert.Equal("simulated turtlebot", spec["prompts"]!.ToString());
        Assert.Contains("known robots: turtlebot", await robot.CallFailingAsync("get_verified_robot_spec", new { name = "dog" }), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnalyzePreviouslyReceivedImage_ReturnsTheSavedJpeg_OnlyFromTheImagesFolder()
    {
        var shot = await robot.CallAsync("capture_camera_image", new { timeout = 20 });
        var relative = shot["relative_path"]!.ToString();
        var result = await robot.Client.CallToolAsync("analyze_previously_received_image",
            new Dictionary<string, object?> { ["image_path"] = relative });
        Assert.False(result.IsError == true);
        var image = Assert.Single(result.Content.OfType<ImageContentBlock>());
        Assert.Equal("image/jpeg", image.MimeType);
        Assert.Equal(await File.ReadAllBytesAsync(shot["image_path"]!.ToString()), image.DecodedData.ToArray());

        // Without a path: the newest saved image.
        result = await robot.Client.CallToolAsync("analyze_previously_received_image", new Dictionary<string, object?>());
        Assert.Single(result.Content.OfType<ImageContentBlock>());

        Assert.Contains("outside the images folder", await robot.CallFailingAsync("analyze_previously_received_image", new { image_path = "/etc/passwd" }), StringComparison.Ordinal);
        Assert.Contains("outside the images folder", await robot.CallFailingAsync("analyze_previously_received_image", new { image_path = "../../etc/passwd" }), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resources_ListTheGraph_AndPrompts_AreOffered()
    {
        var resources = (await robot.Client.ListResourcesAsync()).Select(r => r.Uri).ToHashSet();
        foreach (var uri in new[]
        {
            "ros-mcp://ros-metadata/all", "ros-mcp://ros-metadata/topics/all", "ros-mcp://ros-metadata/services/all",
            "ros-mcp://ros-metadata/nodes/all", "ros-mcp://ros-metadata/actions/all", "ros-mcp://robot-specs/get_verified_robots_list",
        })
        {
            Assert.Contains(uri, resources);
        }
        var all = JsonNode.Parse(Text(await robot.Client.ReadResourceAsync("ros-mcp://ros-metadata/all")))!;
        Assert.Equal(2, all["ros_version"]!.GetValue<int>());
        Assert.Contains(all["topics"]!.AsArray(), t => t!["name"]!.ToString() == "/cmd_vel" && t["type"]!.ToString() == "geometry_msgs/msg/Twist");
        Assert.Contains("/undock", all["actions"]!.AsArray().Select(a => a!.ToString()));
        Assert.Contains("/rossim/reset_pose", all["services"]!.AsArray().Select(a => a!.ToString()));
        var specs = JsonNode.Parse(Text(await robot.Client.ReadResourceAsync("ros-mcp://robot-specs/get_verified_robots_list")))!;
        Assert.Equal(1, specs["count"]!.GetValue<int>());

        var prompts = (await robot.Client.ListPromptsAsync()).Select(p => p.Name).ToList();
        Assert.Contains("test-server-tools", prompts);
        Assert.Contains("test-connection-tools", prompts);
        var prompt = await robot.Client.GetPromptAsync("test-server-tools");
        Assert.Contains("turtlebot", string.Concat(prompt.Messages.Select(m => (m.Content as TextContentBlock)?.Text)), StringComparison.Ordinal);
    }

    private static string Text(ReadResourceResult result)
        => string.Concat(result.Contents.OfType<TextResourceContents>().Select(c => c.Text));
}
