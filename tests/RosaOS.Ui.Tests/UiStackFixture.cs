using System.Net.Http.Json;
using System.Text.Json.Nodes;
using RosaOS.Testing;
using RosaOS.Testing.Llm;

namespace RosaOS.Ui.Tests;

/// <summary>The real stack behind the page: <c>rosa sim</c>, <c>rosa reachy</c>, <c>rosa kasa --sim</c> and <c>rosa kernel</c> (with its workers) on the ports
/// the OS gave them, the kernel's LLM a scripted server speaking Groq's wire format, and one headless Chromium.</summary>
public class UiStackFixture : IAsyncLifetime
{
    private TestStack _stack = null!;

    public ScriptedLlmServer Llm => _stack.Llm!;
    public BrowserFixture Browser { get; } = new();
    public int ReachyPort => new Uri(_stack.ReachyUrl).Port;
    public string SimUrl => _stack.SimUrl;
    public string KernelUrl => _stack.KernelUrl + "/";
    public RosaProcess Kernel => _stack.Kernel!;
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Edits drivers.json (e.g. an approval policy) before the Reachy and the kernel read it.</summary>
    protected virtual void EditDrivers(JsonObject servers)
    {
    }

    /// <summary>False leaves the light's drivers.json entry on a closed port.</summary>
    protected virtual bool WithKasa => true;

    public async ValueTask InitializeAsync()
    {
        _stack = await TestStack.StartAsync(new TestStackOptions
        {
            // The page the kernel serves opens the robot's state WebSocket: the simulator trusts its origin, as under rosa up.
            Sim = new SimPart { TrustKernelPage = true },
            Reachy = new ReachyPart(),
            // The Kasa light's simulated bulb, as rosa up starts it: the page draws it as a lamp.
            Kasa = WithKasa ? new KasaPart() : null,
            Kernel = new KernelPart { Llm = true },
            Drivers = EditDrivers,
        });
        await Browser.InitializeAsync();
    }

    /// <summary>Starts another kernel wired to this stack's Reachy, without an LLM; returns its page's URL.</summary>
    public async Task<string> StartKernelWithoutLlmAsync()
        => (await (await _stack.StartKernelAsync(new KernelPart(), llm: null)).WaitForListeningAsync("kernel")).GetLeftPart(UriPartial.Authority) + "/";

    /// <summary>
    /// Starts one more kernel on this stack's config, on <paramref name="port"/> (a restart keeps the page's origin); <paramref name="llm"/> null
    /// means no LLM at all. A kernel given an earlier one's <paramref name="dataDirectory"/> is that kernel restarted; <paramref name="extra"/>
    /// adds environment variables.
    /// </summary>
    public Task<RosaProcess> StartKernelAsync(int port, ScriptedLlmServer? llm, string? dataDirectory = null, IDictionary<string, string?>? extra = null)
    {
        var environment = new Dictionary<string, string?>(extra ?? new Dictionary<string, string?>());
        if (dataDirectory is not null)
        {
            environment["ROSAOS_DATA_DIR"] = dataDirectory;
        }
        return _stack.StartKernelAsync(new KernelPart { Port = port, Environment = environment }, llm);
    }

    /// <summary>The robot's present head yaw in degrees, read from the daemon.</summary>
    public async Task<double> HeadYawDegreesAsync()
    {
        var pose = await Http.GetFromJsonAsync<JsonObject>($"{SimUrl}/api/state/present_head_pose", TestContext.Current.CancellationToken);
        return (double)pose!["yaw"]! * 180 / Math.PI;
    }

    /// <summary>True when the daemon runs no move.</summary>
    public async Task<bool> IdleAsync()
        => (await Http.GetFromJsonAsync<JsonArray>($"{SimUrl}/api/move/running", TestContext.Current.CancellationToken))!.Count == 0;

    /// <summary>Starts a goto on the daemon directly (as another client of the robot would), once the robot is idle:
    /// the daemon runs one move at a time and drops a goto sent while another runs.</summary>
    public async Task GotoYawAsync(double degrees, double seconds)
    {
        await Poll.UntilAsync(IdleAsync, "the robot to be idle", TestTimeouts.Effect);
        var body = new JsonObject
        {
            ["head_pose"] = new JsonObject { ["x"] = 0, ["y"] = 0, ["z"] = 0, ["roll"] = 0, ["pitch"] = 0, ["yaw"] = degrees * Math.PI / 180 },
            ["duration"] = seconds,
        };
        using var response = await Http.PostAsJsonAsync($"{SimUrl}/api/move/goto", body, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        if (_stack is not null)
        {
            await _stack.DisposeAsync();
        }
        Http.Dispose();
        GC.SuppressFinalize(this);
    }
}
