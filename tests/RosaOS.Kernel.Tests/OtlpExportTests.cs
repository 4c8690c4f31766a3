using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using RosaOS.Testing;
using RosaOS.Testing.Llm;

namespace RosaOS.Kernel.Tests;

/// <summary>
/// The turn spans go to an OpenTelemetry collector when OTEL_EXPORTER_OTLP_ENDPOINT is set: a receiver of OTLP/HTTP
/// (protobuf at /v1/traces) in the test stands in for the collector.
/// </summary>
public sealed class OtlpExportTests
{
    [Fact]
    public async Task A_chat_turns_spans_reach_an_OTLP_receiver_when_the_standard_endpoint_variable_is_set()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.When(r => r.SystemPrompt.Contains("You are the kernel", StringComparison.Ordinal) && r.LastUserText == "how are you", ScriptedTurn.Say("Fine, thanks."));
        await using var kernel = await KernelHarness.StartWithEnvironmentAsync(0, 0, llm, new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Url,
            // The SDK's batch delay (5 s by default), shortened so the test does not wait for it.
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        });

        Assert.Equal("Fine, thanks.", await kernel.ChatAsync("how are you"));

        // The spans of the turn arrive as OTLP protobuf, named as in the kernel's own breakdown, from the kernel's service.
        await Poll.UntilAsync(() => Task.FromResult(receiver.Contains("kernel.turn") && receiver.Contains("llm.request") && receiver.Contains("chat.received")),
            "the turn's spans at the OTLP receiver", TestTimeouts.Effect);
        Assert.True(receiver.Contains("rosaos-kernel"), "the spans name their service");
        Assert.All(receiver.ContentTypes, t => Assert.Equal("application/x-protobuf", t));
        // The same turn is in the kernel's database as before.
        var turns = await kernel.GetJsonAsync("/api/turns");
        Assert.Contains(turns.GetProperty("turns").EnumerateArray(), t => t.GetProperty("spans").EnumerateArray().Any(s => s.GetProperty("name").GetString() == "kernel.turn"));
    }

    /// <summary>A collector's OTLP/HTTP endpoint: keeps each request body to /v1/traces.</summary>
    private sealed class OtlpReceiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentQueue<byte[]> _bodies = new();
        private readonly ConcurrentQueue<string> _types = new();

        private OtlpReceiver(WebApplication app) => _app = app;

        public string Url { get; private set; } = "";

        public IEnumerable<string> ContentTypes => _types;

        public static async Task<OtlpReceiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls(LoopbackPort.Url);
            var app = builder.Build();
            var receiver = new OtlpReceiver(app);
            app.MapPost("/v1/traces", async (HttpContext context) =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body, context.RequestAborted);
                receiver._types.Enqueue(context.Request.ContentType ?? "");
                receiver._bodies.Enqueue(body.ToArray());
                // An empty ExportTraceServiceResponse: everything accepted.
                return Results.Bytes([], "application/x-protobuf");
            });
            await app.StartAsync();
            receiver.Url = $"http://127.0.0.1:{LoopbackPort.Of(app).ToString(CultureInfo.InvariantCulture)}";
            return receiver;
        }

        /// <summary>True when a received export holds <paramref name="text"/> (a span name or attribute value: protobuf keeps strings as UTF-8).</summary>
        public bool Contains(string text)
        {
            var needle = Encoding.UTF8.GetBytes(text);
            return _bodies.Any(b => b.AsSpan().IndexOf(needle) >= 0);
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
