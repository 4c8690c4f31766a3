using System.Net;
using System.Text.Json;

namespace RosaOS.Configuration;

/// <summary>One entry of drivers.json: an MCP server the kernel may give to workers, and for ROS robots the settings
/// of the <c>rosa ros</c> that serves it.</summary>
/// <param name="Name">Key in <c>mcpServers</c>.</param>
/// <param name="Url">Streamable-HTTP MCP endpoint.</param>
/// <param name="Description">What the robot is, for the kernel's robot list.</param>
/// <param name="Prompt">config/prompts/&lt;name&gt;.txt, else the description.</param>
/// <param name="Enabled">False when the entry says <c>"enabled": false</c>: nothing starts, probes or offers it.</param>
/// <param name="Ros">The <c>ros</c> section (a robot that <c>rosa up</c> serves through <c>rosa ros</c>), or null.</param>
public sealed record DriverEntry(string Name, Uri Url, string Description, string Prompt, bool Enabled, RosRobotOptions? Ros)
{
    /// <summary>The driver's emergency-stop HTTP endpoint (<c>estop_url</c>); null means its MCP origin + /estop.</summary>
    public Uri? EstopUrl { get; init; }

    /// <summary>The <c>approval</c> section: calls a person must approve before they run; null when the entry has none.</summary>
    public ApprovalOptions? Approval { get; init; }

    /// <summary>HTTP headers sent with every request to this driver (MCP and emergency stop), e.g. <c>Authorization: Bearer ${REACHY_TOKEN}</c>
    /// for a driver on another machine; <c>${NAME}</c> is replaced by the environment variable when drivers.json is read.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>True when <see cref="Headers"/> would travel in clear text: a plain-http url (MCP or stop) that leaves this machine.</summary>
    public bool SendsHeadersInClear => Headers.Count > 0
        && new[] { Url, EstopUrl }.OfType<Uri>().Any(u => u.Scheme == "http" && !DriversConfig.IsLoopback(u));

    /// <summary>A request to this driver's own HTTP routes (<c>/lease</c>, <c>/approvals</c>) carrying <see cref="Headers"/>: a driver on
    /// another machine asks for its token on every route, not only on MCP.</summary>
    public HttpRequestMessage Request(HttpMethod method, string path, HttpContent? content = null)
        => RequestTo(Url, Headers, method, path, content);

    /// <summary>A request to <paramref name="path"/> on the driver at <paramref name="url"/> carrying its drivers.json <paramref name="headers"/>
    /// (also for a worker, which has the driver's url and headers from its task rather than the entry).</summary>
    public static HttpRequestMessage RequestTo(Uri url, IReadOnlyDictionary<string, string> headers, HttpMethod method, string path, HttpContent? content = null)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var request = new HttpRequestMessage(method, new Uri(url, path)) { Content = content };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return request;
    }

    /// <summary>The entry's MCP port (the port of its url).</summary>
    public int Port => Url.Port;

    /// <summary>Every address this entry makes rosaOS connect to: its MCP url and, for a ROS robot, its rosbridge.</summary>
    public IEnumerable<Uri> Addresses
    {
        get
        {
            yield return Url;
            if (Ros is not null && Uri.TryCreate(Ros.Rosbridge, UriKind.Absolute, out var bridge))
            {
                yield return bridge;
            }
        }
    }

    /// <summary>The addresses of <see cref="Addresses"/> that lead off this machine.</summary>
    public IReadOnlyList<Uri> RemoteAddresses => [.. Addresses.Where(a => !DriversConfig.IsLoopback(a))];
}

/// <summary>
/// config/drivers.json, read once by every command that needs it (<c>rosa up</c>, <c>status</c>, the kernel, the worker,
/// <c>rosa ros</c>). The format is the Python rosaOS's <c>{"mcpServers": {"name": {"url", "description"}}}</c> plus
/// <c>"enabled"</c> and a <c>"ros"</c> section; other keys of an entry are ignored, so configs of other MCP clients load.
/// Every error names the file, the entry and the field.
/// </summary>
/// <param name="Path">The file read (it may not exist: then there are no drivers).</param>
/// <param name="Drivers">The entries in file order.</param>
public sealed record DriversConfig(string Path, IReadOnlyList<DriverEntry> Drivers)
{
    private static readonly JsonDocumentOptions s_documentOptions = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    /// <summary>The entries without <c>"enabled": false</c>.</summary>
    public IReadOnlyList<DriverEntry> Enabled => [.. Drivers.Where(d => d.Enabled)];

    /// <summary>The entry named <paramref name="name"/>, or null.</summary>
    public DriverEntry? Find(string name) => Drivers.FirstOrDefault(d => d.Name == name);

    /// <summary>Why <c>rosa up</c>, the kernel and the UI leave an entry out.</summary>
    public string DisabledReason(DriverEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return $"\"enabled\": false in {Path}";
    }

    /// <summary>Reads <c>drivers.json</c> in <paramref name="configDirectory"/> with the prompts of <c>prompts/</c> beside it.</summary>
    public static DriversConfig Load(string configDirectory)
        => LoadFile(System.IO.Path.Combine(configDirectory, "drivers.json"));

    /// <summary>Reads a drivers.json file; prompts come from the <c>prompts/</c> folder beside it. A missing file means no drivers.</summary>
    /// <exception cref="DriversConfigException">The file is unreadable or an entry is invalid.</exception>
    public static DriversConfig LoadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(path))
        {
            return new DriversConfig(path, []);
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path), s_documentOptions);
        }
        catch (JsonException e)
        {
            throw new DriversConfigException($"{path} is not valid JSON: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new DriversConfigException($"{path} cannot be read: {e.Message}", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("mcpServers", out var servers) || servers.ValueKind != JsonValueKind.Object)
            {
                throw new DriversConfigException($"{path} has no \"mcpServers\" object.");
            }
            var folder = System.IO.Path.GetDirectoryName(path)!;
            return new DriversConfig(path, [.. servers.EnumerateObject().Select(s => ReadEntry(path, folder, s.Name, s.Value))]);
        }
    }

    /// <summary>True for 127.0.0.0/8, ::1 and <c>localhost</c>: an address that never leaves this machine.</summary>
    public static bool IsLoopback(Uri address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var host = address.IdnHost;
        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }

    private static DriverEntry ReadEntry(string path, string folder, string name, JsonElement entry)
    {
        string Where(string field) => $"{path}: entry \"{name}\", field \"{field}\"";
        if (entry.ValueKind != JsonValueKind.Object)
        {
            throw new DriversConfigException($"{path}: entry \"{name}\" must be an object, got {Kind(entry)}.");
        }
        if (!entry.TryGetProperty("url", out var url) || url.ValueKind != JsonValueKind.String)
        {
            throw new DriversConfigException($"{Where("url")} is required: the MCP server's http(s) URL, e.g. \"http://localhost:9091/mcp\".");
        }
        if (!Uri.TryCreate(url.GetString(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new DriversConfigException($"{Where("url")} must be an absolute http(s) URL, got \"{url.GetString()}\".");
        }
        var description = "";
        if (entry.TryGetProperty("description", out var d))
        {
            description = d.ValueKind == JsonValueKind.String
                ? d.GetString()!
                : throw new DriversConfigException($"{Where("description")} must be a string, got {Kind(d)}.");
        }
        var enabled = true;
        if (entry.TryGetProperty("enabled", out var e))
        {
            enabled = e.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? e.GetBoolean()
                : throw new DriversConfigException($"{Where("enabled")} must be true or false, got {Kind(e)}.");
        }
        Uri? estop = null;
        if (entry.TryGetProperty("estop_url", out var es))
        {
            estop = es.ValueKind == JsonValueKind.String && Uri.TryCreate(es.GetString(), UriKind.Absolute, out var u) && u.Scheme is "http" or "https"
                ? u
                : throw new DriversConfigException($"{Where("estop_url")} must be an absolute http(s) URL, got {Kind(es)} {es.GetRawText()}.");
        }
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (entry.TryGetProperty("headers", out var h))
        {
            if (h.ValueKind != JsonValueKind.Object)
            {
                throw new DriversConfigException($"{Where("headers")} must be an object of header names to string values, got {Kind(h)}.");
            }
            foreach (var header in h.EnumerateObject())
            {
                if (header.Value.ValueKind != JsonValueKind.String)
                {
                    throw new DriversConfigException($"{Where("headers." + header.Name)} must be a string, got {Kind(header.Value)}.");
                }
                headers[header.Name] = Substitute(header.Value.GetString()!, Where("headers." + header.Name));
            }
        }
        RosRobotOptions? ros = null;
        if (entry.TryGetProperty("ros", out var section))
        {
            ros = ReadRos(path, folder, name, uri, section);
        }
        ApprovalOptions? approval = null;
        if (entry.TryGetProperty("approval", out var approvalSection))
        {
            approval = ReadApproval(path, name, approvalSection);
        }
        var promptPath = System.IO.Path.Combine(folder, "prompts", name + ".txt");
        var prompt = File.Exists(promptPath) ? File.ReadAllText(promptPath).Trim() : description;
        return new DriverEntry(name, uri, description, prompt, enabled, ros) { EstopUrl = estop, Approval = approval, Headers = headers };
    }

    private static ApprovalOptions ReadApproval(string path, string name, JsonElement section)
    {
        if (section.ValueKind != JsonValueKind.Object)
        {
            throw new DriversConfigException($"{path}: entry \"{name}\", field \"approval\" must be an object, got {Kind(section)}.");
        }
        ApprovalOptions options;
        try
        {
            options = section.Deserialize(ApprovalJsonContext.Default.ApprovalOptions) ?? new ApprovalOptions();
        }
        catch (JsonException e)
        {
            throw new DriversConfigException($"{path}: entry \"{name}\", field \"approval{FieldOf(e.Path)}\": {FirstSentence(e.Message)}", e);
        }
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new DriversConfigException($"{path}: entry \"{name}\", field \"approval\": {e.Message}", e);
        }
        return options;
    }

    /// <summary>Replaces each <c>${NAME}</c> by the environment variable NAME; an unset one is an error naming it.</summary>
    private static string Substitute(string value, string where)
    {
        var result = new System.Text.StringBuilder();
        var i = 0;
        while (i < value.Length)
        {
            var start = value.IndexOf("${", i, StringComparison.Ordinal);
            if (start < 0)
            {
                result.Append(value, i, value.Length - i);
                break;
            }
            var end = value.IndexOf('}', start + 2);
            if (end < 0)
            {
                throw new DriversConfigException($"{where} has an unclosed \"${{\" (expected ${{NAME}}), got \"{value}\".");
            }
            var name = value[(start + 2)..end];
            var variable = Environment.GetEnvironmentVariable(name);
            if (string.IsNullOrEmpty(variable))
            {
                throw new DriversConfigException($"{where} uses ${{{name}}}, but the environment variable {name} is not set.");
            }
            result.Append(value, i, start - i).Append(variable);
            i = end + 1;
        }
        return result.ToString();
    }

    private static RosRobotOptions ReadRos(string path, string folder, string name, Uri url, JsonElement section)
    {
        if (section.ValueKind != JsonValueKind.Object)
        {
            throw new DriversConfigException($"{path}: entry \"{name}\", field \"ros\" must be an object, got {Kind(section)}.");
        }
        RosRobotOptions options;
        try
        {
            options = section.Deserialize(RosJsonContext.Default.RosRobotOptions) ?? new RosRobotOptions();
        }
        catch (JsonException e)
        {
            throw new DriversConfigException($"{path}: entry \"{name}\", field \"ros{FieldOf(e.Path)}\": {FirstSentence(e.Message)}", e);
        }
        options.Name = name;
        if (!section.TryGetProperty("port", out _))
        {
            options.Port = url.Port;
        }
        if (options.SafetyFile is { } file)
        {
            var safetyPath = System.IO.Path.IsPathRooted(file) ? file : System.IO.Path.Combine(folder, file);
            try
            {
                options.Safety = JsonSerializer.Deserialize(File.ReadAllText(safetyPath), RosJsonContext.Default.SafetyOptions)
                    ?? throw new DriversConfigException($"{path}: entry \"{name}\", field \"ros.safety_file\": {safetyPath} is empty.");
            }
            catch (Exception e) when (e is JsonException or IOException)
            {
                throw new DriversConfigException($"{path}: entry \"{name}\", field \"ros.safety_file\": {safetyPath}: {FirstSentence(e.Message)}", e);
            }
        }
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new DriversConfigException($"{path}: entry \"{name}\", field \"ros\": {e.Message}", e);
        }
        return options;
    }

    // System.Text.Json paths look like "$.safety.max_linear"; the error names the field as "ros.safety.max_linear".
    private static string FieldOf(string? jsonPath)
        => string.IsNullOrEmpty(jsonPath) || jsonPath == "$" ? "" : jsonPath.StartsWith("$.", StringComparison.Ordinal) ? jsonPath[1..] : "." + jsonPath;

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{value.GetString()}\"",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        _ => "an object",
    };
}

/// <summary>drivers.json cannot be used; the message names the file, the entry and the field.</summary>
public sealed class DriversConfigException : Exception
{
    public DriversConfigException(string message)
        : base(message)
    {
    }

    public DriversConfigException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public DriversConfigException()
    {
    }
}
