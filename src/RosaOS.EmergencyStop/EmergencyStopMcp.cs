using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using RosaOS.Hosting;

namespace RosaOS.EmergencyStop;

/// <summary>
/// The MCP half of the contract, shared by every driver: an <c>emergency_stop</c> tool (engage, open to every agent),
/// an <c>emergency_stop_status</c> tool, and no release tool. Each tool's role is declared in its <c>_meta</c>
/// under <see cref="EstopContract.MetaKey"/>, so clients find the contract whatever the tool names.
/// </summary>
[McpServerToolType]
public sealed class EmergencyStopTools(EmergencyStopService estop)
{
    [McpServerTool(Name = "emergency_stop", Destructive = false, Idempotent = true, OpenWorld = false, ReadOnly = false)]
    [McpMeta(EstopContract.MetaKey, EstopContract.Roles.Engage)]
    [Description("EMERGENCY STOP of this robot: stops every motion at once and keeps it stopped; every motion tool then refuses " +
        "until a person releases the stop in the rosaOS UI or with `rosa estop --release` (no agent can release it). " +
        "Use it when the robot may hurt someone or something; to merely interrupt the present move use the normal stop tool. " +
        "Returns what was stopped.")]
    public async Task<string> EmergencyStop(
        [Description("Why, in a few words (kept in the audit log).")] string? reason = null,
        CancellationToken cancellationToken = default)
        => JsonSerializer.Serialize(await estop.EngageAsync(EstopContract.Sources.Agent, reason, cancellationToken), EstopJson.Default.StopAnswer);

    [McpServerTool(Name = "emergency_stop_status", Destructive = false, Idempotent = true, OpenWorld = false, ReadOnly = true)]
    [McpMeta(EstopContract.MetaKey, EstopContract.Roles.State)]
    [Description("Whether this robot's emergency stop is engaged, since when and by whom. While engaged, motion tools refuse.")]
    public string EmergencyStopStatus() => JsonSerializer.Serialize(estop.Latch.State, EstopJson.Default.EstopState);
}

/// <summary>How a driver plugs into the stop contract: register, add the MCP half, map the HTTP half.</summary>
public static class EmergencyStopSetup
{
    /// <summary>
    /// Registers the latch of <paramref name="driver"/> (persisted under <paramref name="dataDirectory"/>/estop, default
    /// the data folder), the driver's <typeparamref name="TEffects"/>, the engage/release service (a hosted service that
    /// re-applies the stop when the driver starts engaged), and the declaration in the MCP server's capabilities.
    /// </summary>
    public static IServiceCollection AddEmergencyStop<
        // The container constructs it (AddSingleton<TService, TImplementation>); the annotation keeps its constructor under trimming/Native AOT.
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TEffects>(this IServiceCollection services, string driver, string? dataDirectory = null)
        where TEffects : class, IEmergencyStopEffects
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(driver);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new EmergencyStopLatch(driver, dataDirectory ?? RosaEnvironment.DataDirectory,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<EmergencyStopLatch>>()));
        services.AddSingleton<IEmergencyStopEffects, TEffects>();
        services.AddSingleton<EmergencyStopService>();
        // The latch's state is in the driver's GET /health ("estop"): appended after ASP.NET Core's reflection resolver, so a
        // JIT build is unchanged and a Native AOT build (no reflection-based JSON) can still write it.
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(EstopJson.Default));
        services.AddHostedService(sp => sp.GetRequiredService<EmergencyStopService>());
        services.Configure<McpServerOptions>(options =>
        {
            options.Capabilities ??= new ServerCapabilities();
            options.Capabilities.Experimental ??= new Dictionary<string, object>();
            options.Capabilities.Experimental[EstopContract.MetaKey] = JsonSerializer.SerializeToElement(new EstopCapability(), EstopJson.Default.EstopCapability);
        });
        return services;
    }

    /// <summary>
    /// Adds the emergency_stop tools and the filter that makes every tool refuse while the latch is engaged, except
    /// read-only tools and those whose <c>_meta</c> role is engage, state, stop or allowed.
    /// </summary>
    public static IMcpServerBuilder WithEmergencyStop(this IMcpServerBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.WithTools<EmergencyStopTools>();
        builder.WithRequestFilters(filters => filters.AddCallToolFilter(next => async (request, cancellationToken) =>
        {
            var latch = request.Services?.GetService<EmergencyStopLatch>();
            if (latch?.Refusal is { } refusal && request.MatchedPrimitive is McpServerTool tool && !KeepsWorkingWhileEngaged(tool.ProtocolTool))
            {
                return new CallToolResult
                {
                    IsError = true,
                    Content = [new TextContentBlock { Text = $"{tool.ProtocolTool.Name} refused: {refusal}" }],
                };
            }
            return await next(request, cancellationToken);
        }));
        return builder;
    }

    /// <summary>True for tools that keep working while the stop is engaged: read-only ones and the declared roles.</summary>
    public static bool KeepsWorkingWhileEngaged(Tool tool)
    {
        ArgumentNullException.ThrowIfNull(tool);
        return tool.Annotations?.ReadOnlyHint == true || RoleOf(tool) is not null;
    }

    /// <summary>The tool's declared role (engage, state, stop, allowed), or null.</summary>
    public static string? RoleOf(Tool tool)
    {
        ArgumentNullException.ThrowIfNull(tool);
        return tool.Meta?[EstopContract.MetaKey] is JsonValue value && value.TryGetValue<string>(out var role)
            && role is EstopContract.Roles.Engage or EstopContract.Roles.State or EstopContract.Roles.Stop or EstopContract.Roles.Allowed
            ? role : null;
    }
}
