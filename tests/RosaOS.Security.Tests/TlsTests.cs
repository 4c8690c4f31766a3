using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using RosaOS.Hosting;
using RosaOS.Testing;

namespace RosaOS.Security.Tests;

/// <summary>
/// TLS for binds beyond loopback (<c>ROSAOS_TLS_CERT</c>/<c>ROSAOS_TLS_KEY</c>, a self-signed certificate made here), and keys never sent
/// to a plain-http address on another machine without a warning.
/// </summary>
public sealed class TlsTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly List<RosaProcess> _processes = [];
    private readonly string _folder = TestPaths.NewTempDirectory("tls");
    private IPAddress? _address;
    private X509Certificate2? _certificate;

    private string CertificatePath => Path.Combine(_folder, "cert.pem");

    private string KeyPath => Path.Combine(_folder, "key.pem");

    public ValueTask InitializeAsync()
    {
        _address = RemoteAccess.NonLoopbackAddress();
        // A self-signed server certificate for this machine's address, as a user would make one (or get one from their CA).
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=rosaos-test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        if (_address is not null)
        {
            names.AddIpAddress(_address);
        }
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, 0, critical: false));
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(CertificatePath, _certificate.ExportCertificatePem());
        File.WriteAllText(KeyPath, rsa.ExportPkcs8PrivateKeyPem());
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _processes.Count - 1; i >= 0; i--)
        {
            await _processes[i].DisposeAsync();
        }
        _certificate?.Dispose();
    }

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    private RosaProcess Start(string[] args, Dictionary<string, string?> environment)
    {
        var process = RosaProcess.StartRosa(args, environment);
        _processes.Add(process);
        return process;
    }

    /// <summary>A client that accepts exactly the test's certificate (pinned by thumbprint), so a wrong certificate fails.</summary>
    private HttpClient PinnedClient() => new(new HttpClientHandler
    {
        ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented is not null && presented.Thumbprint == _certificate!.Thumbprint,
    })
    { Timeout = TestTimeouts.Effect };

    private static Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient http, HttpMethod method, string url, string? token, string? json = null)
        => RemoteAccess.SendAsync(http, method, url, token, json);

    [Fact]
    public async Task ADriverBoundBeyondLoopbackWithACertificateServesHttpsThereAndTheKernelReachesItWithItsToken()
    {
        if (_address is null)
        {
            TestContext.Current.SendDiagnosticMessage("This machine has no non-loopback IPv4 address: no bind beyond loopback to serve https on.");
            return;
        }
        var data = TestPaths.NewTempDirectory("tls-data");
        await using var stack = await TestStack.StartAsync(new TestStackOptions
        {
            Reachy = new ReachyPart
            {
                Bind = _address.ToString(),
                DaemonUrl = $"http://127.0.0.1:{P(FreePort.Next())}",
                Environment = new Dictionary<string, string?>
                {
                    ["ROSAOS_DATA_DIR"] = data,
                    [TlsCertificate.CertificateVariable] = CertificatePath,
                    [TlsCertificate.KeyVariable] = KeyPath,
                },
            },
        });
        var reachy = stack.Reachy!;
        var remote = stack.ReachyUrl;
        var port = new Uri(remote).Port;
        using var http = PinnedClient();
        await Poll.UntilAsync(async () =>
        {
            try
            {
                return (await SendAsync(http, HttpMethod.Get, remote + "/health", null)).Status == HttpStatusCode.Unauthorized;
            }
            catch (HttpRequestException) when (!reachy.HasExited)
            {
                return false;
            }
        }, "rosa reachy to answer over https", TestTimeouts.Startup);
        var token = (await File.ReadAllTextAsync(Path.Combine(data, AccessPolicy.TokenFileName), Ct)).Trim();

        // Over TLS, with the test's certificate: the token is still required, and it opens everything.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Get, remote + "/health", token)).Status);
        var (mcp, mcpBody) = await SendAsync(http, HttpMethod.Post, remote + "/mcp", token,
            """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""");
        Assert.True(mcp == HttpStatusCode.OK, mcpBody);
        // Plain http is not served on that port: nothing (token included) crosses the network in clear text.
        using (var plain = new HttpClient { Timeout = TestTimeouts.Effect })
        {
            try
            {
                var (status, _) = await SendAsync(plain, HttpMethod.Get, $"http://{_address}:{P(port)}/health", token);
                Assert.NotEqual(HttpStatusCode.OK, status);
            }
            catch (HttpRequestException)
            {
                // The TLS listener drops a plain-http request: the expected outcome.
            }
        }

        // The kernel reaches it at its https URL with drivers.json headers, trusting the certificate as a user would (SSL_CERT_FILE).
        var config = RemoteAccess.RemoteReachyConfig(remote, "a Reachy Mini on another machine, over TLS");
        var kernel = await stack.StartKernelAsync(new KernelPart
        {
            Environment = new Dictionary<string, string?>
            {
                ["ROSAOS_CONFIG_DIR"] = config,
                ["ROSAOS_DATA_DIR"] = TestPaths.NewTempDirectory("tls-kernel-data"),
                ["REMOTE_REACHY_TOKEN"] = token,
                ["SSL_CERT_FILE"] = CertificatePath,
            },
        }, llm: null);
        var kernelUrl = (await kernel.WaitForListeningAsync("kernel")).GetLeftPart(UriPartial.Authority);
        using var local = new HttpClient { Timeout = TestTimeouts.Effect };
        var drivers = JsonNode.Parse(await local.GetStringAsync(kernelUrl + "/api/drivers", Ct))!;
        var reachyEntry = drivers["drivers"]!.AsArray().Single(d => (string?)d!["name"] == "reachy-mini")!;
        Assert.True((bool)reachyEntry["reachable"]!, reachyEntry.ToJsonString());
        // Listing its tools is an MCP session over TLS with the token: it fails on a certificate not trusted or a missing header.
        Assert.Null((string?)reachyEntry["problem"]);
        Assert.Contains("play_emotion", reachyEntry["tools"]!.ToJsonString(), StringComparison.Ordinal);
        // https: no warning about headers in clear text.
        Assert.DoesNotContain(kernel.Lines, l => l.Contains("plain http", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ACertificateThatCannotBeReadStopsTheStartNamingTheSetting()
    {
        if (_address is null)
        {
            TestContext.Current.SendDiagnosticMessage("This machine has no non-loopback IPv4 address: a certificate applies only beyond loopback.");
            return;
        }
        var missing = Path.Combine(_folder, "missing.pem");
        var reachy = Start(["reachy", "--bind", _address.ToString(), "--port", "0", "--daemon", $"http://127.0.0.1:{P(FreePort.Next())}"],
            new Dictionary<string, string?> { ["ROSAOS_DATA_DIR"] = TestPaths.NewTempDirectory("tls-bad"), [TlsCertificate.CertificateVariable] = missing });
        Assert.NotEqual(0, await reachy.WaitForExitAsync(TestTimeouts.Startup));
        Assert.Contains($"{TlsCertificate.CertificateVariable} names {missing}, which does not exist", reachy.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnApiKeyForAPlainHttpBaseUrlOnAnotherMachineIsWarnedAboutByNameNeverByValue()
    {
        const string Key = "gsk_secret_value_for_the_test";
        var remote = $"http://{_address ?? IPAddress.Parse("192.0.2.2")}:{P(FreePort.Next())}";
        var kernel = Start(["kernel", "--port", "0", "--process-port", "0"], new Dictionary<string, string?>
        {
            ["ROSAOS_DATA_DIR"] = TestPaths.NewTempDirectory("key-data"),
            ["GROQ_API_KEY"] = Key,
            ["GROQ_BASE_URL"] = remote + "/openai/v1",
            ["LLM_PROVIDER"] = "groq",
            ["LOCAL_LLM_PORT"] = P(FreePort.Next()),
        });
        var warning = await kernel.WaitForLineAsync(l => l.Contains("GROQ_API_KEY is sent over plain http", StringComparison.Ordinal), TestTimeouts.Startup);
        Assert.Contains(new Uri(remote).Host, warning, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, kernel.Output, StringComparison.Ordinal);

        // The rule itself: https, loopback and an unset key are quiet; every other plain-http host is not.
        Assert.Null(CleartextSecrets.Warning("GROQ_API_KEY", Key, "GROQ_BASE_URL", "https://api.groq.com/openai/v1"));
        Assert.Null(CleartextSecrets.Warning("GROQ_API_KEY", Key, "GROQ_BASE_URL", "http://127.0.0.1:6000/v1"));
        Assert.Null(CleartextSecrets.Warning("GROQ_API_KEY", Key, "GROQ_BASE_URL", "http://localhost:6000/v1"));
        Assert.Null(CleartextSecrets.Warning("GROQ_API_KEY", Key, "GROQ_BASE_URL", "http://[::1]:6000/v1"));
        Assert.Null(CleartextSecrets.Warning("GROQ_API_KEY", null, "GROQ_BASE_URL", "http://10.0.0.5/v1"));
        Assert.NotNull(CleartextSecrets.Warning("ELEVENLABS_API_KEY", "k", "ELEVENLABS_BASE_URL", "http://tts.example.org/v1"));
        Assert.NotNull(CleartextSecrets.Warning("ANTHROPIC_API_KEY", "k", "ANTHROPIC_BASE_URL", "http://10.0.0.5:8080"));
    }
}
