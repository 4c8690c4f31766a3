using System.Net;
using System.Net.Http.Headers;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using RosaOS.Testing;

namespace RosaOS.Security.Tests;

/// <summary>What the beyond-loopback tests share: this machine's address, token-bearing requests, a config naming a remote driver.</summary>
internal static class RemoteAccess
{
    /// <summary>This machine's first up, non-loopback IPv4 address, or null (then the tests say so and assert what they can).</summary>
    public static IPAddress? NonLoopbackAddress()
        => NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(u => u.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));

    /// <summary>Sends a request with an optional bearer token and JSON body (as an MCP client would); returns status and body.</summary>
    public static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient http, HttpMethod method, string url, string? token, string? json = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        }
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    /// <summary>
    /// A config folder with the shipped prompts and a drivers.json whose one driver, reachy-mini, is at <paramref name="remoteUrl"/>
    /// and is reached with <c>Authorization: Bearer ${REMOTE_REACHY_TOKEN}</c>.
    /// </summary>
    public static string RemoteReachyConfig(string remoteUrl, string description)
    {
        var config = TestPaths.NewTempDirectory("remote-config");
        foreach (var file in new[] { "kernel.txt", "process.txt" })
        {
            File.Copy(Path.Combine(TestPaths.ConfigDir, file), Path.Combine(config, file));
        }
        var entry = new JsonObject
        {
            ["url"] = remoteUrl + "/mcp",
            ["description"] = description,
            ["headers"] = new JsonObject { ["Authorization"] = "Bearer ${REMOTE_REACHY_TOKEN}" },
        };
        File.WriteAllText(Path.Combine(config, "drivers.json"), new JsonObject { ["mcpServers"] = new JsonObject { ["reachy-mini"] = entry } }.ToJsonString());
        return config;
    }
}
