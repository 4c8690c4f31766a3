namespace RosaOS.ReachyMini.Client;

/// <summary>Where the daemon is and how long to wait for it.</summary>
public sealed class ReachyDaemonClientOptions
{
    /// <summary>The daemon's base address (real robot or <c>rosa sim</c>); default http://localhost:8000.</summary>
    public Uri BaseAddress { get; set; } = new("http://localhost:8000");

    /// <summary>Longest wait for one REST call. The daemon answers in milliseconds; a longer silence means it is stuck.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First delay before reconnecting a dropped WebSocket stream; doubles up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest delay between reconnection attempts.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Throws when a value cannot work.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(BaseAddress);
        if (!BaseAddress.IsAbsoluteUri || (BaseAddress.Scheme != Uri.UriSchemeHttp && BaseAddress.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"The daemon address must be an absolute http(s) URL (got '{BaseAddress}').");
        }
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero, nameof(RequestTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ReconnectDelay, TimeSpan.Zero, nameof(ReconnectDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxReconnectDelay, ReconnectDelay, nameof(MaxReconnectDelay));
    }
}
