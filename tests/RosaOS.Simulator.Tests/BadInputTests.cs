using System.Text;
using System.Text.Json.Nodes;

namespace RosaOS.Simulator.Tests;

/// <summary>Every route refuses bad input with a clear 4xx JSON error and the service keeps running.</summary>
[Collection("io")]
public sealed class BadInputTests(IoSim sim)
{
    public static TheoryData<string, string, string?, int, string> Cases => new()
    {
        // route, method, body, expected status, text the error must mention
        { "api/move/goto", "POST", null, 422, "missing" },
        { "api/move/goto", "POST", "{", 422, "json_invalid" },
        { "api/move/goto", "POST", "[1,2]", 422, "model_attributes_type" },
        { "api/move/goto", "POST", """{"head_pose":{"yaw":0.1}}""", 422, "duration" },
        { "api/move/goto", "POST", """{"duration":"soon"}""", 422, "float_parsing" },
        { "api/move/goto", "POST", """{"duration":true}""", 422, "float_type" },
        { "api/move/goto", "POST", """{"duration":0}""", 422, "greater_than" },
        { "api/move/goto", "POST", """{"duration":-2}""", 422, "greater_than" },
        { "api/move/goto", "POST", """{"duration":3600}""", 422, "less_than_equal" },
        { "api/move/goto", "POST", """{"duration":NaN}""", 422, "json_invalid" },
        { "api/move/goto", "POST", """{"duration":"NaN"}""", 422, "finite_number" },
        { "api/move/goto", "POST", """{"duration":"Infinity"}""", 422, "finite_number" },
        { "api/move/goto", "POST", """{"duration":1e999}""", 422, "finite_number" },
        { "api/move/goto", "POST", """{"duration":1,"interpolation":"teleport"}""", 422, "enum" },
        { "api/move/goto", "POST", """{"duration":1,"antennas":[0.1]}""", 422, "too_short" },
        { "api/move/goto", "POST", """{"duration":1,"antennas":[0.1,0.2,0.3]}""", 422, "too_long" },
        { "api/move/goto", "POST", """{"duration":1,"antennas":"up"}""", 422, "tuple_type" },
        { "api/move/goto", "POST", """{"duration":1,"antennas":[0.1,"x"]}""", 422, "float_parsing" },
        { "api/move/goto", "POST", """{"duration":1,"head_pose":{"m":[1,0,0]}}""", 422, "too_short" },
        { "api/move/goto", "POST", """{"duration":1,"head_pose":{"m":[2,0,0,0,0,2,0,0,0,0,2,0,0,0,0,1]}}""", 422, "rigid" },
        { "api/move/goto", "POST", """{"duration":1,"head_pose":{"x":1e300}}""", 422, "metres" },
        { "api/move/goto", "POST", """{"duration":1,"head_pose":{"pitch":45}}""", 422, "radians" },
        { "api/move/goto", "POST", """{"duration":1,"head_pose":"front"}""", 422, "model_type" },
        { "api/move/goto", "POST", """{"duration":1,"body_yaw":1e308}""", 422, "radians" },
        { "api/move/set_target", "POST", null, 422, "missing" },
        { "api/move/set_target", "POST", "not json", 422, "json_invalid" },
        { "api/move/set_target", "POST", """{"target_head_pose":{"roll":"left"}}""", 422, "float_parsing" },
        { "api/move/set_target", "POST", """{"target_antennas":[null,0]}""", 422, "float_type" },
        { "api/move/set_target", "POST", """{"target_body_yaw":[1]}""", 422, "float_type" },
        { "api/move/set_target", "POST", """{"target_head_pose":{"m":"identity"}}""", 422, "tuple_type" },
        { "api/move/stop", "POST", "{}", 422, "missing" },
        { "api/move/stop", "POST", """{"uuid":"not-a-uuid"}""", 422, "uuid_parsing" },
        { "api/move/stop", "POST", """{"uuid":42}""", 422, "uuid_parsing" },
        { "api/motors/set_mode/turbo", "POST", null, 422, "enum" },
        { "api/volume/set", "POST", """{"volume":101}""", 422, "less_than_equal" },
        { "api/volume/set", "POST", """{"volume":-1}""", 422, "greater_than_equal" },
        { "api/volume/set", "POST", """{"volume":"loud"}""", 422, "int_type" },
        { "api/volume/set", "POST", """{"volume":2.5}""", 422, "int_type" },
        { "api/volume/set", "POST", "{}", 422, "missing" },
        { "api/media/play_sound", "POST", "{}", 422, "missing" },
        { "api/media/play_sound", "POST", """{"file":7}""", 422, "string_type" },
        { "api/daemon/robot-name", "POST", """{"name":""}""", 422, "string_too_short" },
        { "api/daemon/robot-name", "POST", """{"name":7}""", 422, "string_type" },
        { "api/daemon/start?wake_up=perhaps", "POST", null, 422, "bool_parsing" },
        { "api/daemon/stop", "POST", null, 422, "missing" },
        { "api/state/full?with_head_joints=maybe", "GET", null, 422, "bool_parsing" },
        { "api/state/present_head_pose?use_pose_matrix=2", "GET", null, 422, "bool_parsing" },
        { "api/move/play/recorded-move-dataset/pollen-robotics/reachy-mini-emotions-library/..", "POST", null, 404, "" },
        { "api/move/recorded-move-datasets/list/..%2F..%2Fetc", "GET", null, 404, "" },
        // The simulation-only routes (issue 20 D3: one body check for both).
        { "sim/head/hand", "POST", "[1]", 422, "model_attributes_type" },
        { "sim/head/hand", "POST", """{"pitch_deg":90}""", 422, "must be from -30 to 30" },
        { "sim/head/hand", "POST", """{"hold_s":0}""", 422, "greater_than_equal" },
        { "sim/head/hand", "POST", """{"yaw_deg":"left"}""", 422, "float_parsing" },
        { "sim/say", "POST", "[]", 422, "model_attributes_type" },
        { "sim/say", "POST", """{"text":"hello","azimuth_deg":400}""", 422, "less_than_equal" },
        { "sim/say", "POST", """{"text":"hello","azimuth_deg":true}""", 422, "float_type" },
        { "sim/say", "POST", """{"azimuth_deg":90}""", 422, "missing" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Route_RefusesBadInput(string route, string method, string? body, int expected, string mention)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(route, UriKind.Relative));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        using var response = await sim.Http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(expected == (int)response.StatusCode, $"{method} {route} {body} -> {(int)response.StatusCode}: {text}");
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.MediaType ?? "", StringComparison.Ordinal);
        var detail = JsonNode.Parse(text)!["detail"];
        Assert.NotNull(detail);
        Assert.Contains(mention, text, StringComparison.Ordinal);
        if (expected == 422)
        {
            var first = detail!.AsArray()[0]!;
            Assert.NotNull(first["type"]);
            Assert.NotNull(first["msg"]);
            Assert.IsType<JsonArray>(first["loc"]);
        }
        await sim.AssertAliveAsync();
    }

    [Fact]
    public async Task OversizedBody_Is413()
    {
        var big = "{\"duration\":1,\"pad\":\"" + new string('x', 2 * 1024 * 1024) + "\"}";
        var (status, body, _) = await sim.PostJsonAsync("api/move/goto", big);
        Assert.Equal(413, status);
        Assert.Contains("too large", body!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await sim.AssertAliveAsync();
    }

    [Fact]
    public async Task BadWebSocketFrames_AreAnsweredOrIgnored_NeverFatal()
    {
        using (var bad = await sim.Http.GetAsync(new Uri("api/state/full?with_doa=true&frequency=0", UriKind.Relative), TestContext.Current.CancellationToken))
        {
            Assert.Equal(200, (int)bad.StatusCode);
        }
        await Assert.ThrowsAnyAsync<System.Net.WebSockets.WebSocketException>(async () => await WsClient.ConnectAsync(sim, "api/state/ws/full?frequency=0"));
        await Assert.ThrowsAnyAsync<System.Net.WebSockets.WebSocketException>(async () => await WsClient.ConnectAsync(sim, "api/state/ws/full?frequency=abc"));
        await using (var ws = await WsClient.ConnectAsync(sim, "api/move/ws/set_target"))
        {
            foreach (var frame in new[] { "{", "[]", """{"target_antennas":[1,2,3]}""", """{"target_head_pose":{"x":"NaN"}}""", """{"target_body_yaw":1e999}""" })
            {
                await ws.SendAsync(frame);
                var reply = await ws.ReceiveAsync(TimeSpan.FromSeconds(5));
                Assert.Equal("error", reply!["status"]!.GetValue<string>());
            }
        }
        await using (var sdk = await WsClient.ConnectAsync(sim, "ws/sdk"))
        {
            foreach (var frame in new[] { "garbage", "{}", """{"type":"warp_drive"}""", """{"type":"set_full_target","head":[1,2]}""",
                """{"type":"goto_target","duration":"forever"}""", """{"type":"set_motor_mode","mode":"turbo"}""", """{"type":"play_recorded_move"}""",
                """{"type":"set_automatic_body_yaw","enabled":"yes"}""" })
            {
                await sdk.SendAsync(frame);
            }
            // Still streaming after the garbage.
            Assert.NotNull(await sdk.ReceiveUntilAsync(m => m["type"]!.GetValue<string>() == "joint_positions", TimeSpan.FromSeconds(5)));
        }
        Assert.DoesNotContain((await sim.GetJsonAsync("sim/moves"))!.AsArray(), m => m!["kind"]!.GetValue<string>() != "wake_up");
        await sim.AssertAliveAsync();
    }
}
