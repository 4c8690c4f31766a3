using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Client;
using RosaOS.EmergencyStop;
using RosaOS.Testing;

namespace RosaOS.Mcp.ReachyMini.Tests;

/// <summary>
/// One mover per robot on the simulated Reachy: `rosa reachy` refuses head motion from anyone but the lease holder,
/// naming it, while speech (queued, heard on the simulated speaker) and reads stay open; a person taking control moves the lease, and a free robot is open.
/// </summary>
public sealed class LeaseTests(SimFixture fixture) : IClassFixture<SimFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Head_motion_belongs_to_the_holder_a_person_can_take_it_and_a_free_robot_is_open()
    {
        using var http = new HttpClient { BaseAddress = new Uri(fixture.McpUrl.Replace("/mcp", "/", StringComparison.Ordinal)) };
        await using var holder = await ConnectAsync("w-first");
        await using var other = await ConnectAsync("w-second");
        try
        {
            await PostLeaseAsync(http, new { holder = "w-first", kind = "worker", note = "greet the visitor" });

            var before = await HeadYawAsync();
            var (refused, refusedIsError) = await other.CallAsync("goto_target", new() { ["head_yaw"] = 30, ["duration"] = 0.5 });
            Assert.True(refusedIsError, refused);
            Assert.Contains("goto_target refused: reachy-mini is held by worker w-first (greet the visitor)", refused, StringComparison.Ordinal);
            // Nothing moved on the robot. Kept on purpose: "still after 0.8 s" is the assertion (a refused move would have started by then).
            await Task.Delay(TimeSpan.FromSeconds(0.8), Ct);
            Assert.Equal(before, await HeadYawAsync(), 1.0);
            // Reads are never leased.
            var (emotions, emotionsError) = await other.CallAsync("list_emotions");
            Assert.False(emotionsError, emotions);
            // Speech is not leased (it is queued): the non-holder is heard.
            var since = (await fixture.Daemon.GetSpeakerLogAsync(null, Ct)).Select(e => e.Id).DefaultIfEmpty(0).Max();
            var (spoken, spokenError) = await other.CallAsync("speak", new() { ["text"] = "Speech is not leased.", ["wait_until_spoken"] = true });
            Assert.False(spokenError, spoken);
            Assert.Contains(await fixture.Daemon.GetSpeakerLogAsync(since, Ct), e => e.Text == "Speech is not leased.");

            // The holder moves the head.
            var (moved, movedError) = await holder.CallAsync("goto_target", new() { ["head_yaw"] = 25, ["duration"] = 0.5 });
            Assert.False(movedError, moved);
            await Poll.UntilAsync(async () => Math.Abs(await HeadYawAsync() - 25) < 2, "the holder's move to arrive");

            // A person takes control: the worker that held it is refused now, and told who holds it.
            await PostLeaseAsync(http, new { holder = LeaseContract.Person, kind = "person", note = "manual control" });
            var (taken, takenError) = await holder.CallAsync("goto_target", new() { ["head_yaw"] = -25, ["duration"] = 0.5 });
            Assert.True(takenError, taken);
            Assert.Contains("held by", taken, StringComparison.Ordinal);
            Assert.Contains("w-first does not hold it", taken, StringComparison.Ordinal);

            // Nobody holds it: every client may move it (clients of the original know nothing of leases).
            await PostLeaseAsync(http, new { holder = (string?)null });
            var (free, freeError) = await other.CallAsync("goto_target", new() { ["head_yaw"] = 0, ["duration"] = 0.5 });
            Assert.False(freeError, free);
        }
        finally
        {
            await PostLeaseAsync(http, new { holder = (string?)null });
        }
    }

    private async Task<double> HeadYawAsync() => ((await fixture.Daemon.GetFullStateAsync(Ct)).HeadPose?.Yaw ?? double.NaN) * 180 / Math.PI;

    private static async Task PostLeaseAsync(HttpClient http, object grant)
    {
        using var response = await http.PostAsJsonAsync(new Uri(LeaseContract.HttpPath.TrimStart('/'), UriKind.Relative), grant, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, text);
        Assert.NotNull(JsonNode.Parse(text));
    }

    private async Task<McpClient> ConnectAsync(string holder)
        => await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(fixture.McpUrl),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { [LeaseContract.Header] = holder },
        }), cancellationToken: Ct);
}
