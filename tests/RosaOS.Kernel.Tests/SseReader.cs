using System.Collections.Concurrent;
using RosaOS.Testing;

namespace RosaOS.Kernel.Tests;

/// <summary>Reads the kernel's server-sent events in the background.</summary>
public sealed class SseReader : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<(string Type, string Data)> _events = new();

    public SseReader(int port) => _ = ReadAsync(new Uri($"http://127.0.0.1:{port}/api/events"));

    public IReadOnlyCollection<(string Type, string Data)> Events => _events.ToArray();

    public Task WaitForAsync(string type, string? containing = null)
        => Poll.UntilAsync(() => Task.FromResult(_events.Any(e => e.Type == type && (containing is null || e.Data.Contains(containing, StringComparison.Ordinal)))),
            $"SSE event {type} {containing}");

    private async Task ReadAsync(Uri uri)
    {
        try
        {
            using var stream = await _http.GetStreamAsync(uri, _stop.Token);
            using var reader = new StreamReader(stream);
            string? type = null;
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    type = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal) && type is not null)
                {
                    _events.Enqueue((type, line[6..]));
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _http.Dispose();
        _stop.Dispose();
    }
}
