using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace RosaOS.Mcp.Arguments;

/// <summary>
/// Hooks <see cref="ToolArgumentBinder"/> and <see cref="ToolSchemas"/> into an MCP server's request pipeline:
/// a call-tool filter checks and coerces arguments against the matched tool's input schema before the SDK binds them
/// to the tool method's parameters (where a wrong type would only yield "An error occurred invoking 'X'"), and a
/// list-tools filter hands out single-type schemas. Every rosaOS MCP server (rosa reachy, rosa ros, the kernel's
/// process manager, rosa kasa) adds it with <see cref="WithToolArgumentBinding"/>.
/// </summary>
public static class McpArgumentBinding
{
    /// <summary>Adds the argument-binding and schema filters.</summary>
    public static IMcpServerBuilder WithToolArgumentBinding(this IMcpServerBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.WithRequestFilters(filters =>
        {
            filters.AddListToolsFilter(next => async (request, cancellationToken) =>
            {
                var result = await next(request, cancellationToken);
                foreach (var tool in result.Tools)
                {
                    tool.InputSchema = ToolSchemas.SingleTypes(tool.InputSchema);
                }
                return result;
            });
            filters.AddCallToolFilter(next => async (request, cancellationToken) =>
            {
                if (request.MatchedPrimitive is McpServerTool tool && request.Params is { } call)
                {
                    call.Arguments ??= new Dictionary<string, System.Text.Json.JsonElement>(StringComparer.Ordinal);
                    if (ToolArgumentBinder.Bind(tool.ProtocolTool.Name, tool.ProtocolTool.InputSchema, call.Arguments) is { } error)
                    {
                        return new CallToolResult { IsError = true, Content = [new TextContentBlock { Text = error }] };
                    }
                }
                return await next(request, cancellationToken);
            });
        });
        return builder;
    }
}
