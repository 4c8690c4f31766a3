using System.IO.Pipelines;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ModelContextProtocol.Client;

namespace RosaOS.Testing;

/// <summary>
/// An MCP server hosted in the test process and a client connected to it through in-memory pipes (the SDK's stream transport):
/// the tool classes, argument binding and error texts exactly as a driver serves them, without a process or a port. For tool
/// logic that needs no other process (bad arguments); what crosses processes stays with real <c>rosa</c> drivers.
/// </summary>
public sealed class InMemoryMcp : IAsyncDisposable
{
    private readonly IHost _host;

    private InMemoryMcp(IHost host, McpClient client)
    {
        _host = host;
        Client = client;
    }

    public McpClient Client { get; }

    /// <summary>Starts a server whose services and tools <paramref name="configure"/> adds, and connects a client.</summary>
    public static async Task<InMemoryMcp> StartAsync(Action<IServiceCollection, IMcpServerBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var toServer = new Pipe();
        var toClient = new Pipe();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var mcp = builder.Services.AddMcpServer().WithStreamServerTransport(toServer.Reader.AsStream(), toClient.Writer.AsStream());
        configure(builder.Services, mcp);
        var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            var client = await McpClient.CreateAsync(new ModelContextProtocol.Protocol.StreamClientTransport(toServer.Writer.AsStream(), toClient.Reader.AsStream()),
                new McpClientOptions { ProtocolVersion = "2025-11-25" }, cancellationToken: TestContext.Current.CancellationToken);
            return new InMemoryMcp(host, client);
        }
        catch
        {
            await host.StopAsync(CancellationToken.None);
            host.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await _host.StopAsync(CancellationToken.None);
        _host.Dispose();
    }
}
