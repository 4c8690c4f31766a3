using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RosaOS.Testing;

namespace RosaOS.Simulator.Tests;

/// <summary>One real `rosa sim` process on a free port, awake and running, shared by a test collection.</summary>
public class SimFixture : IAsyncLifetime
{
    private RosaProcess? _process;

    /// <summary>The port the simulator got (it starts on port 0 and reports it).</summary>
    public int Port { get; private set; }

    public Uri BaseUri => new($"http://127.0.0.1:{Port}/");

    public HttpClient Http { get; private set; } = null!;

    public RosaProcess Process => _process ?? throw new InvalidOperationException("Not started.");

    /// <summary>Extra flags for subclasses.</summary>
    protected virtual string[] ExtraArgs => [];

    /// <summary>Extra environment variables for subclasses.</summary>
    protected virtual IDictionary<string, string?>? Environment => null;

    /// <summary>Runs before the process starts (subclasses prepare folders).</summary>
    protected virtual void Prepare()
    {
    }

    /// <summary>False to leave the emotions dataset unmapped (the Hub download tests).</summary>
    protected virtual bool MapEmotions => true;

    /// <summary>True to wait for state "running" (wake-up finished) before tests run.</summary>
    protected virtual bool WaitForRunning => true;

    public async ValueTask InitializeAsync()
    {
        Prepare();
        string[] emotions = MapEmotions ? ["--dataset", $"pollen-robotics/reachy-mini-emotions-library={TestPaths.EmotionsLibrary}"] : [];
        _process = RosaProcess.StartRosa(["sim", "--port", "0", .. emotions, .. ExtraArgs], Environment);
        Port = (await _process.WaitForListeningAsync("sim")).Port;
        Http = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        if (WaitForRunning)
        {
            await WaitForStateAsync("running");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }

    public async Task WaitForStateAsync(string state)
        => await Poll.UntilAsync(async () => (await GetJsonAsync("api/daemon/status"))!["state"]!.GetValue<string>() == state, $"daemon state {state}");

    public async Task<JsonNode?> GetJsonAsync(string path)
    {
        using var response = await Http.GetAsync(new Uri(path, UriKind.Relative), TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"GET {path} -> {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text);
    }

    public async Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> PostJsonAsync(string path, string? json)
    {
        using var content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json");
        var response = await Http.PostAsync(new Uri(path, UriKind.Relative), content, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        JsonNode? body = null;
        try
        {
            body = text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (JsonException)
        {
        }
        return ((int)response.StatusCode, body, response);
    }

    public async Task<Guid> GotoAsync(string json)
    {
        var (status, body, _) = await PostJsonAsync("api/move/goto", json);
        Assert.True(status == 200, $"goto -> {status}: {body}");
        return Guid.Parse(body!["uuid"]!.GetValue<string>());
    }

    /// <summary>Waits until no move runs (the robot is free for the next test).</summary>
    public async Task WaitIdleAsync()
        => await Poll.UntilAsync(async () => (await GetJsonAsync("sim/moves"))!.AsArray().All(m => m!["outcome"]!.GetValue<string>() != "running"), "no running move");

    /// <summary>The outcome of a move in /sim/moves once it has ended.</summary>
    public async Task<JsonNode> WaitMoveEndAsync(Guid id)
        => await Poll.ForAsync(
            async () => (await GetJsonAsync("sim/moves"))!.AsArray().FirstOrDefault(m => m!["uuid"]!.GetValue<string>() == id.ToString())!,
            m => m is not null && m["outcome"]!.GetValue<string>() != "running", $"move {id} to end");

    /// <summary>Present head pose as (x, y, z, roll, pitch, yaw).</summary>
    public async Task<(double X, double Y, double Z, double Roll, double Pitch, double Yaw)> PoseAsync()
    {
        var p = (await GetJsonAsync("api/state/present_head_pose"))!;
        return (p["x"]!.GetValue<double>(), p["y"]!.GetValue<double>(), p["z"]!.GetValue<double>(),
            p["roll"]!.GetValue<double>(), p["pitch"]!.GetValue<double>(), p["yaw"]!.GetValue<double>());
    }

    /// <summary>Checks the process is alive and answering.</summary>
    public async Task AssertAliveAsync()
    {
        Assert.False(Process.HasExited, "rosa sim exited");
        var status = await GetJsonAsync("api/daemon/status");
        Assert.Equal("daemon_status", status!["type"]!.GetValue<string>());
    }
}

/// <summary>The fixture of the motion collection (moves must not overlap across its classes).</summary>
public sealed class MotionSim : SimFixture;

/// <summary>The fixture of tests that do not depend on the pose (speaker, validation).</summary>
public sealed class IoSim : SimFixture;

[CollectionDefinition("motion")]
public sealed class MotionCollection : ICollectionFixture<MotionSim>;

[CollectionDefinition("io")]
public sealed class IoCollection : ICollectionFixture<IoSim>;
