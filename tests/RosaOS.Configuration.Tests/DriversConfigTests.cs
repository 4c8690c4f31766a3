using RosaOS.Configuration;
using RosaOS.Testing;

namespace RosaOS.Configuration.Tests;

/// <summary>The one drivers.json model: what ships stays on this machine, and a bad entry is refused with its file, entry and field.</summary>
public sealed class DriversConfigTests
{
    [Fact]
    public void The_shipped_config_reaches_nothing_off_this_machine_drives_the_simulated_turtlebot_and_lamp_and_switches_off_the_dog()
    {
        var config = DriversConfig.Load(TestPaths.ConfigDir);
        Assert.NotEmpty(config.Drivers);
        // Every address of every entry, switched on or not: turning one on must not dial someone else's network either.
        foreach (var driver in config.Drivers)
        {
            Assert.True(driver.RemoteAddresses.Count == 0, $"{driver.Name} points off this machine: {string.Join(", ", driver.RemoteAddresses)}");
        }
        // The turtlebot is on: its loopback rosbridge is the `rosa rossim` that `rosa up` starts (--real-ros for a real one).
        // The lamp ships on: rosa up serves it with a simulated bulb on loopback unless KASA_HOST names a real one.
        Assert.Equal(["reachy-mini", "turtlebot", "Kasa Lightbulb Controller"], config.Enabled.Select(d => d.Name));
        Assert.Equal("ws://127.0.0.1:9392", config.Find("turtlebot")!.Ros!.Rosbridge);
        foreach (var name in new[] { "dog" })
        {
            Assert.False(config.Find(name)!.Enabled, $"{name} should ship switched off");
        }
        Assert.NotNull(config.Find("dog")!.Ros);
        // The dog walks through its /puppy services: the allow list names them (writes are denied by default).
        Assert.Contains("/puppy/*", config.Find("dog")!.Ros!.Safety.AllowServices);
    }

    [Theory]
    [InlineData("http://127.0.0.1:9091/mcp", true)]
    [InlineData("http://localhost:9091/mcp", true)]
    [InlineData("ws://[::1]:9090", true)]
    [InlineData("ws://127.8.9.10:9090", true)]
    [InlineData("ws://129.97.71.85:9090", false)]
    [InlineData("ws://turtlebot4.local:9090", false)]
    [InlineData("http://192.168.1.20:9091/mcp", false)]
    [InlineData("http://localhost.example.com/mcp", false)]
    public void Loopback_means_this_machine_only(string address, bool loopback)
        => Assert.Equal(loopback, DriversConfig.IsLoopback(new Uri(address)));

    [Fact]
    public void Entries_read_into_typed_records_with_the_ros_section_the_port_and_the_prompt()
    {
        var dir = TestPaths.NewTempDirectory("drivers");
        Directory.CreateDirectory(Path.Combine(dir, "prompts"));
        File.WriteAllText(Path.Combine(dir, "prompts", "bot.txt"), "  Drive carefully.  ");
        File.WriteAllText(Path.Combine(dir, "safety.json"), """{"max_linear": 0.1, "deny": ["/e_stop"]}""");
        File.WriteAllText(Path.Combine(dir, "drivers.json"), """
            {
              // comments and trailing commas are allowed, as before
              "mcpServers": {
                "bot": {"url": "http://127.0.0.1:9191/mcp", "description": "a bot", "command": "ignored",
                        "ros": {"rosbridge": "ws://127.0.0.1:9090", "safety_file": "safety.json"}},
                "lamp": {"url": "http://localhost:5002/mcp", "enabled": false},
              }
            }
            """);
        var config = DriversConfig.Load(dir);
        var bot = config.Find("bot")!;
        Assert.True(bot.Enabled);
        Assert.Equal("Drive carefully.", bot.Prompt);
        Assert.Equal(9191, bot.Ros!.Port);
        Assert.Equal("bot", bot.Ros.Name);
        Assert.Equal(0.1, bot.Ros.Safety.MaxLinear);
        Assert.Equal(["/e_stop"], bot.Ros.Safety.Deny);
        var lamp = config.Find("lamp")!;
        Assert.False(lamp.Enabled);
        Assert.Equal("", lamp.Prompt);
        Assert.Equal(["bot"], config.Enabled.Select(d => d.Name));
        Assert.Contains(Path.Combine(dir, "drivers.json"), config.DisabledReason(lamp), StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_means_no_drivers()
        => Assert.Empty(DriversConfig.Load(TestPaths.NewTempDirectory("nodrivers")).Drivers);

    [Theory]
    [InlineData("""{"servers": {}}""", "has no \"mcpServers\" object")]
    [InlineData("""{"mcpServers": {"bot": {"url": "http://x/mcp",}""", "is not valid JSON")]
    [InlineData("""{"mcpServers": {"bot": 5}}""", "entry \"bot\" must be an object, got the number 5")]
    [InlineData("""{"mcpServers": {"bot": {"description": "no url"}}}""", "entry \"bot\", field \"url\" is required")]
    [InlineData("""{"mcpServers": {"bot": {"url": "ftp://x/mcp"}}}""", "entry \"bot\", field \"url\" must be an absolute http(s) URL, got \"ftp://x/mcp\"")]
    [InlineData("""{"mcpServers": {"bot": {"url": "http://x/mcp", "enabled": "no"}}}""", "entry \"bot\", field \"enabled\" must be true or false, got the string \"no\"")]
    [InlineData("""{"mcpServers": {"bot": {"url": "http://x/mcp", "description": 3}}}""", "entry \"bot\", field \"description\" must be a string")]
    [InlineData("""{"mcpServers": {"bot": {"url": "http://x/mcp", "ros": []}}}""", "entry \"bot\", field \"ros\" must be an object, got an array")]
    [InlineData("""{"mcpServers": {"bot": {"url": "http://x/mcp", "ros": {"safety": {"max_linear": "fast"}}}}}""", "entry \"bot\", field \"ros.safety.max_linear\"")]
    [InlineData("""{"mcpServers": {"bot": {"url": "http://x/mcp", "ros": {"safety": {"max_linaer": 0.2}}}}}""", "entry \"bot\", field \"ros.safety")]
    [InlineData("""{"mcpServers": {"bot": {"url": "http://x/mcp", "ros": {"rosbridge": "http://x"}}}}""", "entry \"bot\", field \"ros\": --rosbridge must be a ws:// or wss:// URL")]
    [InlineData("""{"mcpServers": {"bot": {"url": "http://x/mcp", "ros": {"safety_file": "missing.json"}}}}""", "entry \"bot\", field \"ros.safety_file\"")]
    [InlineData("""{"mcpServers": {"bot": {"url": "http://x/mcp", "approval": ["call_service"]}}}""", "entry \"bot\", field \"approval\" must be an object, got an array")]
    [InlineData("""{"mcpServers": {"bot": {"url": "http://x/mcp", "approval": {"servics": ["/walk"]}}}}""", "entry \"bot\", field \"approval")]
    [InlineData("""{"mcpServers": {"bot": {"url": "http://x/mcp", "approval": {"services": ["walk"]}}}}""", "entry \"bot\", field \"approval\": approval topic/service/action/parameter patterns must be ROS names starting with '/'")]
    [InlineData("""{"mcpServers": {"bot": {"url": "http://x/mcp", "approval": {"tools": ["x"], "timeout_seconds": 0}}}}""", "entry \"bot\", field \"approval\": approval timeout_seconds must be in (0, 600], got 0")]
    [InlineData("""{"mcpServers": {"bot": {"url": "http://x/mcp", "headers": ["x"]}}}""", "entry \"bot\", field \"headers\" must be an object")]
    [InlineData("""{"mcpServers": {"bot": {"url": "http://x/mcp", "headers": {"Authorization": 5}}}}""", "field \"headers.Authorization\" must be a string")]
    [InlineData("""{"mcpServers": {"bot": {"url": "http://x/mcp", "headers": {"Authorization": "Bearer ${ROSAOS_TEST_UNSET_TOKEN_VARIABLE}"}}}}""",
        "field \"headers.Authorization\" uses ${ROSAOS_TEST_UNSET_TOKEN_VARIABLE}, but the environment variable ROSAOS_TEST_UNSET_TOKEN_VARIABLE is not set")]
    public void A_bad_file_is_refused_naming_the_file_the_entry_and_the_field(string json, string expected)
    {
        var dir = TestPaths.NewTempDirectory("baddrivers");
        var path = Path.Combine(dir, "drivers.json");
        File.WriteAllText(path, json);
        var error = Assert.Throws<DriversConfigException>(() => DriversConfig.Load(dir));
        Assert.StartsWith(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_approval_section_names_the_calls_a_person_must_approve_by_tool_and_by_ros_name()
    {
        var dir = TestPaths.NewTempDirectory("approvaldrivers");
        File.WriteAllText(Path.Combine(dir, "drivers.json"), """
            {"mcpServers": {
              "dog": {"url": "http://localhost:9093/mcp", "approval": {"tools": ["set_parameter"], "services": ["/puppy/go_*"], "topics": ["/goal_pose"]}},
              "lamp": {"url": "http://localhost:9094/mcp"}}}
            """);
        var config = DriversConfig.Load(dir);
        var approval = config.Find("dog")!.Approval!;
        Assert.Equal(60, approval.TimeoutSeconds);
        Assert.Contains("the tool set_parameter", approval.Reason("set_parameter", "parameter", "/x"), StringComparison.Ordinal);
        Assert.Contains("the service /puppy/go_forward needs a person's approval", approval.Reason("call_service", "service", "/puppy/go_forward"), StringComparison.Ordinal);
        Assert.NotNull(approval.Reason("publish_once", "topic", "/goal_pose"));
        Assert.Null(approval.Reason("call_service", "service", "/puppy/stop"));
        Assert.Null(approval.Reason("publish_once", "topic", "/cmd_vel"));
        Assert.Null(config.Find("lamp")!.Approval);
    }

    [Fact]
    public void Headers_take_environment_variables_and_a_token_over_plain_http_to_another_machine_is_flagged()
    {
        Environment.SetEnvironmentVariable("ROSAOS_TEST_DRIVER_TOKEN", "s3cret");
        var dir = TestPaths.NewTempDirectory("headers");
        File.WriteAllText(Path.Combine(dir, "drivers.json"), """
            {"mcpServers": {
              "remote": {"url": "http://192.168.1.20:9091/mcp", "headers": {"Authorization": "Bearer ${ROSAOS_TEST_DRIVER_TOKEN}", "X-Plain": "a$b"}},
              "tls": {"url": "https://robot.example/mcp", "headers": {"Authorization": "Bearer ${ROSAOS_TEST_DRIVER_TOKEN}"}},
              "local": {"url": "http://127.0.0.1:9091/mcp", "headers": {"Authorization": "Bearer x"}},
              "none": {"url": "http://192.168.1.21:9091/mcp"}}}
            """);
        var config = DriversConfig.Load(dir);
        var remote = config.Find("remote")!;
        Assert.Equal("Bearer s3cret", remote.Headers["Authorization"]);
        Assert.Equal("a$b", remote.Headers["x-plain"]);
        Assert.True(remote.SendsHeadersInClear);
        Assert.False(config.Find("tls")!.SendsHeadersInClear);
        Assert.False(config.Find("local")!.SendsHeadersInClear);
        Assert.Empty(config.Find("none")!.Headers);
        Assert.False(config.Find("none")!.SendsHeadersInClear);
    }
}
