using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using RosaOS.Hosting;
using RosaOS.Testing;

namespace RosaOS.Security.Tests;

/// <summary>
/// <c>rosa up --bind &lt;this machine's non-127 address&gt;</c> end to end: the stack starts, prints a one-time login link (never the
/// token), the UI and API on that address ask for the token (401 without it, served with the bearer token or the link's cookie), the
/// link works once, loopback is served as before without a token, and the other services stay on loopback.
/// </summary>
public sealed partial class UpBindTests
{
    private const int SigInt = 2;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task UpBindServesTheUiBeyondLoopbackOnlyWithTheTokenPrintsALoginLinkThatWorksOnceAndKeepsLoopbackOpen()
    {
        var address = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(u => u.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        if (address is null)
        {
            TestContext.Current.SendDiagnosticMessage("This machine has no non-loopback IPv4 address: rosa up --bind cannot be exercised here.");
            return;
        }
        // rosa up gives each service its port (and restarts it there): the test chooses them, as a user's environment does.
        var (sim, reachy, kernel, processes) = (FreePort.Next(), FreePort.Next(), FreePort.Next(), FreePort.Next());
        var config = TestPaths.NewTempDirectory("up-bind-config");
        StackConfig.Write(config, TestStack.NotRunningRosbridge());
        StackConfig.PointDriver(config, "reachy-mini", $"http://127.0.0.1:{P(reachy)}");
        var data = Path.Combine(TestPaths.NewTempDirectory("up-bind"), "data");
        var environment = new Dictionary<string, string?>
        {
            ["ROSAOS_CONFIG_DIR"] = config,
            ["ROSAOS_DATA_DIR"] = data,
            ["REACHY_MCP_PORT"] = P(reachy),
            ["RAG_AGENT_PORT"] = P(kernel),
            ["PROCESS_SERVER_PORT"] = P(processes),
            ["LOCAL_LLM_PORT"] = P(FreePort.Next()),
        };
        await using var up = RosaProcess.StartRosa(["up", "--bind", address.ToString(), "--sim-port", P(sim), "--no-ros", "--max-restarts", "0"], environment);
        var loginLine = await up.WaitForLineAsync(l => l.Contains("Remote login", StringComparison.Ordinal), TimeSpan.FromSeconds(180));
        Assert.Contains(up.Lines, l => l.Contains("rosaOS is up.", StringComparison.Ordinal));
        var remote = $"http://{address}:{P(kernel)}";
        var link = LoginLink().Match(loginLine);
        Assert.True(link.Success, $"no login link in: {loginLine}");
        Assert.StartsWith(remote + AccessPolicy.LoginPath + "?code=", link.Value, StringComparison.Ordinal);
        // The token was generated at first start, owner-only, and is never printed.
        var tokenFile = Path.Combine(data, AccessPolicy.TokenFileName);
        var token = (await File.ReadAllTextAsync(tokenFile, Ct)).Trim();
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));
        }
        Assert.DoesNotContain(token, up.Output, StringComparison.Ordinal);

        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = TestTimeouts.Effect };
        // From the address: the page, the API, a state-changing call and MCP all ask for the token.
        foreach (var (method, path, json) in new (HttpMethod, string, string?)[]
        {
            (HttpMethod.Get, "/", null), (HttpMethod.Get, "/health", null), (HttpMethod.Get, "/api/estop", null),
            (HttpMethod.Post, "/chat", """{"prompt":"hello"}"""), (HttpMethod.Post, "/api/estop", """{"source":"api","reason":"forged"}"""),
        })
        {
            var (status, body) = await SendAsync(http, method, remote + path, json, bearer: null, cookie: null);
            Assert.True(status == HttpStatusCode.Unauthorized, $"{method} {path} from {address} without the token answered {(int)status}: {body}");
        }
        // The stop was not engaged by the refused request.
        var (estop, estopBody) = await SendAsync(http, HttpMethod.Get, remote + "/api/estop", null, token, null);
        Assert.True(estop == HttpStatusCode.OK, estopBody);
        Assert.False((bool)System.Text.Json.Nodes.JsonNode.Parse(estopBody)!["engaged"]!, estopBody);

        // The login link: a cookie once, then the page and its API open with it.
        string cookie;
        using (var first = await http.GetAsync(new Uri(link.Value), Ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
            cookie = Assert.Single(first.Headers.GetValues("Set-Cookie")).Split(';')[0];
        }
        var (page, pageBody) = await SendAsync(http, HttpMethod.Get, remote + "/", null, null, cookie);
        Assert.Equal(HttpStatusCode.OK, page);
        Assert.Contains("<html", pageBody, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Get, remote + "/api/drivers", null, null, cookie)).Status);
        using (var again = await http.GetAsync(new Uri(link.Value), Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        }
        // Scripts send the bearer token.
        var (chat, chatBody) = await SendAsync(http, HttpMethod.Post, remote + "/chat", """{"prompt":"hello"}""", token, null);
        Assert.True(chat == HttpStatusCode.OK, chatBody);

        // Loopback is served as configured: no token needed there.
        var local = $"http://127.0.0.1:{P(kernel)}";
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Get, local + "/", null, null, null)).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Get, local + "/api/estop", null, null, null)).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Get, $"http://127.0.0.1:{P(reachy)}/health", null, null, null)).Status);
        // Everything else stays on loopback: the driver and the simulator are not on the address at all.
        foreach (var port in new[] { reachy, sim })
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri($"http://{address}:{P(port)}/health"), Ct));
        }

        up.Signal(SigInt);
        Assert.Equal(0, await up.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient http, HttpMethod method, string url, string? json, string? bearer, string? cookie)
    {
        using var request = new HttpRequestMessage(method, url);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }
        using var response = await http.SendAsync(request, Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"https?://\S+/_rosa/login\?code=[A-Za-z0-9_%\-]+")]
    private static partial Regex LoginLink();
}
