using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace RosaOS.Testing;

/// <summary>
/// An in-process scripted server (LLM, Hub, speech, vision, rosbridge replay) on loopback port 0: the OS gives it a port no
/// other test holds, and the server reads it back once listening, so tests never race for a port.
/// </summary>
public static class LoopbackPort
{
    /// <summary>The address a scripted server binds: loopback, port 0.</summary>
    public const string Url = "http://127.0.0.1:0";

    /// <summary>The port a started <paramref name="app"/> got.</summary>
    public static int Of(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
            ?? throw new InvalidOperationException("the server reports no addresses");
        return new Uri(addresses.First()).Port;
    }

}
