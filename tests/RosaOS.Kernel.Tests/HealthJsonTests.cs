using System.Text.Json.Nodes;

namespace RosaOS.Kernel.Tests;

/// <summary>The kernel's /health (rosa status, rosa up and the tests read it by name): the common fields first, then the kernel's own.</summary>
public sealed class HealthJsonTests
{
    [Fact]
    public async Task Health_has_the_common_fields_then_the_kernels_own_in_order()
    {
        await using var kernel = await InMemoryKernel.StartAsync();

        var text = await kernel.Http.GetStringAsync(new Uri("/health", UriKind.Relative), TestContext.Current.CancellationToken);
        var health = JsonNode.Parse(text)!.AsObject();

        Assert.Equal(["status", "service", "version", "uptime_s", "pid", "llm", "events", "workers", "drivers", "estop", "process_server"],
            health.Select(p => p.Key));
        Assert.Equal("ok", health["status"]!.GetValue<string>());
        Assert.Equal(["provider", "model", "status", "available"], health["llm"]!.AsObject().Select(p => p.Key));
        Assert.Equal("""{"pending":0,"done":0,"expired":0,"queued":0}""", health["events"]!.ToJsonString());
        Assert.Equal("""{"running":0,"pool_pids":[]}""", health["workers"]!.ToJsonString());
        Assert.Equal(["name", "enabled", "reachable", "problem"], health["drivers"]![0]!.AsObject().Select(p => p.Key));
        Assert.Equal("""{"engaged":false,"refusal":null}""", health["estop"]!.ToJsonString());
        Assert.StartsWith("http://", health["process_server"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
