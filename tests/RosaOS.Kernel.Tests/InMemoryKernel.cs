using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RosaOS.Testing;

namespace RosaOS.Kernel.Tests;

/// <summary>
/// The kernel's HTTP API hosted in the test process: the same start-up code as <c>rosa kernel</c> (KernelCommand.RunAsync) on a
/// <see cref="TestServer"/> instead of Kestrel, with no pool workers and no LLM configured by the test. For logic that needs no
/// other process (validation, 4xx answers); anything that crosses a process (workers, drivers, the LLM) stays in
/// <see cref="KernelHarness"/>. No port is bound: requests go straight into the pipeline.
/// </summary>
public sealed class InMemoryKernel : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task<int> _run = Task.FromResult(0);

    private InMemoryKernel()
    {
    }

    /// <summary>A client whose requests go into the kernel's pipeline (base address http://localhost/).</summary>
    public HttpClient Http { get; private set; } = null!;

    /// <summary>The kernel's services, for what no endpoint starts (a timer scheduled by the model's tool).</summary>
    public IServiceProvider Services { get; private set; } = null!;

    /// <summary>Starts one; <paramref name="configDir"/> defaults to <see cref="KernelHarness.NewConfigDir"/> (every driver on a dead port).</summary>
    public static async Task<InMemoryKernel> StartAsync(string? configDir = null)
    {
        var kernel = new InMemoryKernel();
        var options = new KernelOptions
        {
            // Never bound: the addresses only name the endpoints (the kernel reads its ports back from the server's address list).
            Port = 1,
            ProcessPort = 2,
            DataDirectory = TestPaths.NewTempDirectory("memdata"),
            ConfigDirectory = configDir ?? KernelHarness.NewConfigDir(),
            PoolSize = 0,
        };
        options.Validate();
        var started = new TaskCompletionSource<WebApplication>(TaskCreationOptions.RunContinuationsAsynchronously);
        kernel._run = Task.Run(() => KernelCommand.RunAsync(options, builder => builder.Services.AddSingleton<IServer>(services =>
        {
            // The host fills this list from the configured URLs, as Kestrel would after binding; BoundAddresses reads it.
            var features = new FeatureCollection();
            features.Set<IServerAddressesFeature>(new ServerAddressesFeature());
            return new TestServer(services, features, Options.Create(new TestServerOptions()));
        }), app => started.TrySetResult(app), kernel._stop.Token), TestContext.Current.CancellationToken);
        if (await Task.WhenAny(started.Task, kernel._run) == kernel._run)
        {
            throw new InvalidOperationException($"The in-memory kernel stopped at start (exit code {await kernel._run}).");
        }
        kernel.Services = (await started.Task).Services;
        var server = (TestServer)kernel.Services.GetRequiredService<IServer>();
        kernel.Http = server.CreateClient();
        return kernel;
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        var text = await Http.GetStringAsync(new Uri(path, UriKind.Relative), TestContext.Current.CancellationToken);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task<(int Status, JsonElement Body)> PostJsonAsync(string path, string json)
    {
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        using var response = await Http.PostAsync(new Uri(path, UriKind.Relative), content, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return ((int)response.StatusCode, text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        await _stop.CancelAsync();
        await _run;
        _stop.Dispose();
    }
}
