namespace RosaOS.Vision.Images;

/// <summary>Where images live and which image arguments the tools accept.</summary>
public sealed record ImageStoreOptions
{
    /// <summary>The images folder (<c>data/images</c>): captures in <c>reachy/</c>, downloads in <c>upload/</c>, the people registry in <c>people/</c>.</summary>
    public required string ImagesDirectory { get; init; }

    /// <summary>Accept http(s) URLs as image arguments (off by default: a tool that fetches any URL can be aimed at internal services).</summary>
    public bool AllowUrls { get; init; }

    /// <summary>Largest download accepted, in bytes.</summary>
    public long MaxDownloadBytes { get; init; } = 10 * 1024 * 1024;

    /// <summary>Largest image file accepted, in bytes.</summary>
    public long MaxFileBytes { get; init; } = 25 * 1024 * 1024;

    /// <summary>Time allowed for one download.</summary>
    public TimeSpan DownloadTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Throws when a value cannot work.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ImagesDirectory))
        {
            throw new ArgumentException("The images folder is not set.", nameof(ImagesDirectory));
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxDownloadBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxFileBytes);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(DownloadTimeout, TimeSpan.Zero);
    }
}
