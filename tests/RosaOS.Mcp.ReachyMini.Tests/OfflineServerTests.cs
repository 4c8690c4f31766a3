using System.Net;
using ModelContextProtocol.Client;
using RosaOS.Testing;

namespace RosaOS.Mcp.ReachyMini.Tests;

/// <summary>A real <c>rosa reachy</c> whose daemon is down: the server keeps serving and every tool says why it cannot act.</summary>
public sealed class OfflineServerFixture : IAsyncLifetime
{
    public RosaProcess Reachy { get; private set; } = null!;
    public string McpUrl { get; private set; } = "";
    public int Port { get; private set; }

    public async ValueTask InitializeAsync()
    {
        // A daemon nobody runs: the port is refused.
        var deadDaemon = $"http://127.0.0.1:{FreePort.Next()}";
        Reachy = RosaProcess.StartRosa(["reachy", "--port", "0", "--daemon", deadDaemon]);
        var listening = await Reachy.WaitForListeningAsync("reachy");
        Port = listening.Port;
        McpUrl = listening.GetLeftPart(UriPartial.Authority) + "/mcp";
    }

    public async ValueTask DisposeAsync() => await Reachy.DisposeAsync();
}

public sealed class OfflineServerTests(OfflineServerFixture server) : IClassFixture<OfflineServerFixture>
{
    private static readonly string[] s_tools = ["move_head_left", "move_head_right", "reset_head", "stop_move", "goto_target", "list_emotions", "play_emotion", "speak",
        "take_picture", "describe_image", "detect_faces", "analyze_face", "save_image_person", "center_on_face", "move_to_audio", "add_watch", "list_watches", "remove_watch",
        "emergency_stop", "emergency_stop_status"];

    [Fact]
    public async Task ToolsList_HasEveryToolWithDescriptionsAndAnnotations()
    {
        await using var client = await McpTestClient.ConnectAsync(server.McpUrl, TestContext.Current.CancellationToken);
        var tools = await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(s_tools.Order(), tools.Select(t => t.Name).Order());
        foreach (var tool in tools)
        {
            Assert.False(string.IsNullOrWhiteSpace(tool.Description), tool.Name);
            Assert.NotNull(tool.ProtocolTool.Annotations);
            Assert.NotNull(tool.ProtocolTool.Annotations!.ReadOnlyHint);
            Assert.NotNull(tool.ProtocolTool.Annotations.DestructiveHint);
        }
        Assert.True(tools.Single(t => t.Name == "list_emotions").ProtocolTool.Annotations!.ReadOnlyHint);
        var gotoSchema = tools.Single(t => t.Name == "goto_target").JsonSchema.GetRawText();
        foreach (var argument in new[] { "head_x", "head_y", "head_z", "head_roll", "head_pitch", "head_yaw", "antenna_x", "antenna_y", "body_yaw", "duration", "method" })
        {
            Assert.Contains($"\"{argument}\"", gotoSchema, StringComparison.Ordinal);
        }
        Assert.Contains("\"forcefully_interrupt\"", tools.Single(t => t.Name == "speak").JsonSchema.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListEmotions_Returns57NamesWithoutTheRobot()
    {
        await using var client = await McpTestClient.ConnectAsync(server.McpUrl, TestContext.Current.CancellationToken);
        var (text, isError) = await client.CallAsync("list_emotions");

        Assert.False(isError, text);
        var names = System.Text.Json.JsonSerializer.Deserialize<string[]>(text)!;
        Assert.Equal(57, names.Length);
        Assert.Contains("cheerful", names);
        Assert.Contains("go_away", names);
    }

    [Theory]
    [InlineData("move_head_left")]
    [InlineData("reset_head")]
    [InlineData("stop_move")]
    [InlineData("goto_target")]
    public async Task MotionTools_DaemonDown_SayTheRobotIsUnreachable(string tool)
    {
        await using var client = await McpTestClient.ConnectAsync(server.McpUrl, TestContext.Current.CancellationToken);
        var (text, isError) = await client.CallAsync(tool);

        Assert.True(isError);
        Assert.Contains("not reachable", text, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.False(server.Reachy.HasExited);
    }

    [Fact]
    public async Task PlayEmotion_Unknown_ListsTheValidNames()
    {
        await using var client = await McpTestClient.ConnectAsync(server.McpUrl, TestContext.Current.CancellationToken);
        var (text, isError) = await client.CallAsync("play_emotion", new() { ["emotion"] = "ecstatic_banana" });

        Assert.True(isError);
        Assert.Contains("Unknown emotion 'ecstatic_banana'", text, StringComparison.Ordinal);
        Assert.Contains("cheerful", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("goto_target", """{"head_pitch":"down"}""")]
    [InlineData("goto_target", """{"duration":[1,2]}""")]
    [InlineData("goto_target", """{"method":"teleport"}""")]
    [InlineData("move_head_left", """{"multiple":"three"}""")]
    [InlineData("move_head_left", """{"multiple":1.5}""")]
    [InlineData("move_head_right", """{"multiple":0}""")]
    [InlineData("move_head_right", """{"multiple":-4}""")]
    [InlineData("play_emotion", """{}""")]
    [InlineData("play_emotion", """{"emotion":42}""")]
    [InlineData("play_emotion", """{"emotion":""}""")]
    [InlineData("speak", """{}""")]
    [InlineData("speak", """{"text":""}""")]
    [InlineData("speak", """{"text":"   "}""")]
    [InlineData("speak", """{"text":"hi","forcefully_interrupt":"loudly"}""")]
    [InlineData("speak", """{"text":["a"]}""")]
    public async Task BadArguments_GiveAClearErrorAndTheServerKeepsServing(string tool, string arguments)
    {
        await using var client = await McpTestClient.ConnectAsync(server.McpUrl, TestContext.Current.CancellationToken);
        var (text, isError) = await client.CallRawAsync(tool, arguments);

        Assert.True(isError, text);
        Assert.False(string.IsNullOrWhiteSpace(text));
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        // Still serving: a read-only tool answers normally.
        var (emotions, emotionsError) = await client.CallAsync("list_emotions");
        Assert.False(emotionsError, emotions);
    }

    [Fact]
    public async Task Speak_TenKilobytes_IsRefusedWithTheLimit()
    {
        await using var client = await McpTestClient.ConnectAsync(server.McpUrl, TestContext.Current.CancellationToken);
        var (text, isError) = await client.CallAsync("speak", new() { ["text"] = new string('a', 10_240) });

        Assert.True(isError);
        Assert.Contains("limit is 5000", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("evil.example.com")]
    [InlineData("192.168.1.20:5001")]
    public async Task ForeignHostHeader_IsRejected(string host)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, server.McpUrl)
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"ping"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Host = host;
        request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Health_NamesTheServiceAndDaemon()
    {
        using var http = new HttpClient();
        var body = await http.GetStringAsync(new Uri($"http://127.0.0.1:{server.Port}/health"), TestContext.Current.CancellationToken);

        Assert.Contains("\"service\":\"reachy\"", body, StringComparison.Ordinal);
        Assert.Contains("\"daemon\"", body, StringComparison.Ordinal);
    }
}
