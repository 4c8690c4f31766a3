namespace RosaOS.Simulator.Datasets;

/// <summary>
/// Where and how datasets come from the Hugging Face Hub, from huggingface_hub's environment variables:
/// HF_ENDPOINT (https://huggingface.co), HF_HUB_CACHE (else HF_HOME/hub, else ~/.cache/huggingface/hub),
/// HF_HUB_OFFLINE (cache only) and HF_TOKEN (else the HF_HOME/token file) for private or gated repos.
/// </summary>
internal sealed record HubSettings(Uri Endpoint, string CacheDirectory, bool Offline, string? Token)
{
    public const string DefaultEndpoint = "https://huggingface.co";

    public static HubSettings FromEnvironment()
    {
        var home = Get("HF_HOME") ?? Path.Combine(Get("XDG_CACHE_HOME") ?? Path.Combine(UserHome(), ".cache"), "huggingface");
        var cache = Get("HF_HUB_CACHE") ?? Path.Combine(home, "hub");
        var endpoint = Get("HF_ENDPOINT") ?? DefaultEndpoint;
        if (!Uri.TryCreate(endpoint.TrimEnd('/'), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"HF_ENDPOINT={endpoint} is not an http(s) URL.");
        }
        var token = Get("HF_TOKEN");
        var tokenFile = Path.Combine(home, "token");
        if (token is null && File.Exists(tokenFile))
        {
            token = File.ReadAllText(tokenFile).Trim() is { Length: > 0 } t ? t : null;
        }
        return new HubSettings(uri, Path.GetFullPath(cache), IsTrue(Get("HF_HUB_OFFLINE")), token);
    }

    /// <summary>huggingface_hub's truthy values.</summary>
    public static bool IsTrue(string? value) => value?.Trim().ToUpperInvariant() is "1" or "ON" or "YES" or "TRUE";

    /// <summary>The cache folder of a dataset repo: <c>datasets--owner--name</c>.</summary>
    public string RepoFolder(string repo) => Path.Combine(CacheDirectory, "datasets--" + repo.Replace("/", "--", StringComparison.Ordinal));

    // The token is a secret: keep it out of every ToString (and so out of logs).
    public override string ToString() => $"HubSettings {{ Endpoint = {Endpoint}, CacheDirectory = {CacheDirectory}, Offline = {Offline}, Token = {(Token is null ? "none" : "set")} }}";

    private static string? Get(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v.Trim() : null;

    private static string UserHome() => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) is { Length: > 0 } h ? h : Path.GetTempPath();
}
