namespace RosaOS.RosBridge;

/// <summary>How to reach one robot's rosbridge server and how patient to be with it.</summary>
public sealed class RosBridgeOptions
{
    /// <summary>The rosbridge WebSocket URL, e.g. ws://192.168.1.20:9090.</summary>
    public required Uri Url { get; init; }

    /// <summary>Default time to wait for a service answer before reporting "no answer in time".</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>WebSocket ping interval; a dropped Wi-Fi link is noticed after this plus <see cref="KeepAliveTimeout"/>.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a ping may go unanswered before the connection is declared dead.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a request made while the connection is down waits for it to come back before failing.</summary>
    public TimeSpan ConnectWait { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>First reconnect delay; doubles up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectMinDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest reconnect delay.</summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest frame (after fragment reassembly) accepted from the server; larger ones are refused.</summary>
    public int MaxMessageBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>Throws if a value is out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Url);
        if (Url.Scheme is not ("ws" or "wss"))
        {
            throw new ArgumentException($"rosbridge URL must be ws:// or wss://, got '{Url}'.");
        }
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ReconnectMinDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(ReconnectMaxDelay, ReconnectMinDelay);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMessageBytes, 1024);
    }
}

/// <summary>Options of a rosbridge subscribe op.</summary>
public sealed record SubscribeOptions
{
    /// <summary>Minimum milliseconds between messages (server-side throttle); 0 = every message.</summary>
    public int ThrottleRateMs { get; init; }

    /// <summary>Server-side queue length.</summary>
    public int QueueLength { get; init; } = 1;

    /// <summary>Ask the server to split frames larger than this; null leaves it alone.</summary>
    public int? FragmentSize { get; init; }

    /// <summary>"none" or "png" (cbor is broken on ROS 1 rosbridge and not supported).</summary>
    public string Compression { get; init; } = "none";

    /// <summary>Messages buffered locally per subscription; the oldest are dropped beyond this.</summary>
    public int LocalBuffer { get; init; } = 64;
}
