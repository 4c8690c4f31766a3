using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;

namespace RosaOS.Hosting;

/// <summary>One address a service listens on, under the name it is reported by (e.g. "kernel", "kernel-process").</summary>
public sealed record BoundAddress(string Name, Uri Url)
{
    /// <summary>The TCP port the OS gave (the asked-for one, or the chosen one for port 0).</summary>
    public int Port => Url.Port;
}

/// <summary>
/// The addresses a service really listens on, read from Kestrel once it has bound them: a service started on port 0 learns
/// (and reports) the port the OS chose, so tests and composers never pick a port that someone else takes first.
/// </summary>
public sealed class BoundAddresses(IServer server, EndpointNames names)
{
    /// <summary>The line prefix every service prints once listening: <c>rosaOS &lt;name&gt; listening on &lt;url&gt;</c>.</summary>
    public const string LinePrefix = "rosaOS ";

    /// <summary>What stands between the name and the URL in that line.</summary>
    public const string LineMiddle = " listening on ";

    /// <summary>Every bound address in the order the service asked for them; throws before the server has bound them.</summary>
    public IReadOnlyList<BoundAddress> All
    {
        get
        {
            var feature = server.Features.Get<IServerAddressesFeature>()
                ?? throw new InvalidOperationException("The server has no addresses feature.");
            // Kestrel adds each address as it binds it, in the order asked, with the port it got.
            var addresses = feature.Addresses.Select(a => new Uri(a.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal))).ToList();
            if (addresses.Count == 0 || addresses.Any(a => a.Port == 0))
            {
                throw new InvalidOperationException("The server has not bound its addresses yet.");
            }
            return [.. addresses.Select((url, i) => new BoundAddress(names.NameAt(i), url))];
        }
    }

    /// <summary>The first address reported under <paramref name="name"/>.</summary>
    public BoundAddress For(string name) => All.FirstOrDefault(a => a.Name == name)
        ?? throw new InvalidOperationException($"No address is named '{name}'.");

    /// <summary>True when <paramref name="port"/> is one the endpoint <paramref name="name"/> is bound to; false while not all are bound.</summary>
    public bool IsPortOf(string name, int? port)
    {
        try
        {
            return All.Any(a => a.Name == name && a.Port == port);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The line that reports <paramref name="address"/>.</summary>
    public static string Line(BoundAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return LinePrefix + address.Name + LineMiddle + address.Url.GetLeftPart(UriPartial.Authority);
    }

    /// <summary>Parses a line printed by <see cref="Line"/>; null for any other line.</summary>
    public static BoundAddress? Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (!line.StartsWith(LinePrefix, StringComparison.Ordinal))
        {
            return null;
        }
        var middle = line.IndexOf(LineMiddle, LinePrefix.Length, StringComparison.Ordinal);
        if (middle < 0 || !Uri.TryCreate(line[(middle + LineMiddle.Length)..].Trim(), UriKind.Absolute, out var url))
        {
            return null;
        }
        return new BoundAddress(line[LinePrefix.Length..middle], url);
    }
}

/// <summary>The names of a service's endpoints, in the order of its URLs (the last name covers any further URL).</summary>
public sealed class EndpointNames(IReadOnlyList<string> names)
{
    internal string NameAt(int index) => names[Math.Min(index, names.Count - 1)];
}

/// <summary>Prints one <c>rosaOS &lt;name&gt; listening on &lt;url&gt;</c> line per bound address as soon as the service listens.</summary>
internal sealed class ListeningReport(IHostApplicationLifetime lifetime, BoundAddresses addresses) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            foreach (var address in addresses.All)
            {
                // A plain stdout line (not a log entry): its format does not depend on the log level or formatter.
                Console.Out.WriteLine(BoundAddresses.Line(address));
            }
            Console.Out.Flush();
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
