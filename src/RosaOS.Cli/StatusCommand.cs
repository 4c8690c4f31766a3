using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using RosaOS.Cli.Stack;
using RosaOS.Hosting;
using RosaOS.Kernel.Contracts;

namespace RosaOS.Cli;

/// <summary>The `rosa status` sub-command: one line per service; non-zero exit when something is down.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string?>("--data-dir") { Description = "Data folder of the running `rosa up` (default ROSAOS_DATA_DIR or ./data)." };
        var robot = new Option<string?>("--robot") { Description = "Reachy Mini daemon URL to check when no `rosa up` is running (default http://127.0.0.1:8000)." };
        var command = new Command("status", "Show which rosaOS services are up.") { dataDir, robot };
        command.SetAction(async (parse, cancellationToken) =>
        {
            StackLayout layout;
            try
            {
                var data = Path.GetFullPath(parse.GetValue(dataDir) ?? RosaEnvironment.DataDirectory);
                layout = StackLayout.LoadRunning(data) ?? StackLayout.Resolve(parse.GetValue(robot), 8000, data, withRos: true);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.Text.Json.JsonException or IOException)
            {
                await Console.Error.WriteLineAsync($"rosa status: {e.Message}");
                return 2;
            }
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var checks = new List<(string Name, Uri Url, Uri Probe, bool Daemon)>
            {
                ("robot", layout.RobotUrl, new Uri(layout.RobotUrl, "/api/daemon/status"), true),
                ("reachy", layout.ReachyMcpUrl, new Uri($"http://127.0.0.1:{layout.ReachyPort}/health"), false),
                ("kernel", layout.KernelUrl, new Uri(layout.KernelUrl, "/health"), false),
            };
            checks.AddRange(layout.RosDrivers.Select(d => (d.Name, new Uri($"http://127.0.0.1:{d.Port}/mcp"), new Uri($"http://127.0.0.1:{d.Port}/health"), false)));
            // The kernel through its client (one try: a status line reports what is up now).
            var kernel = new KernelClient(http, new KernelClientOptions { BaseAddress = layout.KernelUrl, Attempts = 1, AttemptTimeout = TimeSpan.FromSeconds(2) });
            var results = await Task.WhenAll(checks.Select(c => c.Name == "kernel"
                ? ProbeAsync(() => kernel.HealthAsync(cancellationToken), false)
                : ProbeAsync(async () =>
                {
                    using var response = await http.GetAsync(c.Probe, cancellationToken);
                    var text = await response.Content.ReadAsStringAsync(cancellationToken);
                    return new KernelReply<JsonObject>((int)response.StatusCode, null, null, text);
                }, c.Daemon)));
            var down = 0;
            for (var i = 0; i < checks.Count; i++)
            {
                var (name, url, _, _) = checks[i];
                var r = results[i];
                down += r.Up ? 0 : 1;
                Console.WriteLine(r.Up
                    ? $"{name,-12} up    {url,-32} {r.Version,-10} {r.Uptime}"
                    : $"{name,-12} down  {url,-32} {r.Error}");
            }
            return down == 0 ? 0 : 1;
        });
        return command;
    }

    private static async Task<(bool Up, string Version, string Uptime, string Error)> ProbeAsync(Func<Task<KernelReply<JsonObject>>> probe, bool daemon)
    {
        try
        {
            var reply = await probe();
            if (!reply.Success)
            {
                return (false, "", "", $"answered {reply.Status} {Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(reply.Status)}");
            }
            var body = JsonNode.Parse(reply.Body);
            var version = body?["version"]?.ToString() ?? "?";
            if (daemon)
            {
                return (true, version, $"state {body?["state"]}", "");
            }
            var uptime = body?["uptime_s"] is JsonValue u && u.TryGetValue<double>(out var seconds)
                ? "uptime " + FormatUptime(TimeSpan.FromSeconds(seconds)) : "";
            return (true, version, uptime, "");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or TimeoutException or System.Text.Json.JsonException)
        {
            return (false, "", "", e is TaskCanceledException or TimeoutException ? "no answer within 2 s" : "not reachable");
        }
    }

    private static string FormatUptime(TimeSpan t) => t.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}h{t.Minutes:00}m")
        : string.Create(CultureInfo.InvariantCulture, $"{t.Minutes}m{t.Seconds:00}s");
}
