using System.Collections.Concurrent;
using RosaOS.Testing;

namespace RosaOS.Kernel.Tests;

/// <summary>Reads the kernel's server-sent events in the background.</summary>
public sealed class SseReader : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<(string Type, string Data)> _events = new();

    /// <summary>Reads /api/events of a kernel process on <paramref name="port"/>.</summary>
    public SseReader(int port)
        : this(new HttpClient { Timeout = Timeout.InfiniteTimeSpan }, new Uri($"http://127.0.0.1:{port}/api/events"), ownsHttp: true)
    {
    }

    /// <summary>Reads <paramref name="uri"/> through <paramref name="http"/> (an <see cref="InMemoryKernel"/>'s client; not disposed here).</summary>
    public SseReader(HttpClient http, Uri uri)
        : this(http, uri, ownsHttp: false)
    {
    }

    private SseReader(HttpClient http, Uri uri, bool ownsHttp)
    {
        _http = http;
        _ownsHttp = ownsHttp;
        _ = ReadAsync(uri);
    }

    public IReadOnlyCollection<(string Type, string Data)> Events => _events.ToArray();

    public Task WaitForAsync(string type, string? containing = null) => FirstAsync(type, containing);

    /// <summary>Waits for the first event of <paramref name="type"/> whose data contains <paramref name="containing"/>, and returns its data.</summary>
    public async Task<string> FirstAsync(string type, string? containing = null)
    {
        string? found = null;
        await Poll.UntilAsync(() =>
        {
            found = _events.FirstOrDefault(e => e.Type == type && (containing is null || e.Data.Contains(containing, StringComparison.Ordinal))).Data;
            return Task.FromResult(found is not null);
        }, $"SSE event {type} {containing}");
        return found!;
    }

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
        if (_ownsHttp)
        {
            _http.Dispose();
        }
        _stop.Dispose();
    }
}
