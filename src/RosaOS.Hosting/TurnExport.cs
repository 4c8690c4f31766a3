using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace RosaOS.Hosting;

/// <summary>
/// Exports this process's turn spans with OpenTelemetry (OTLP), off unless configured by the standard variables:
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (the collector's base URL; /v1/traces is added for HTTP) or
/// <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c> (the full URL). The protocol is <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>
/// (<c>http/protobuf</c>, the default here as in the specification, or <c>grpc</c>); headers, timeouts and batching
/// follow the SDK's own variables (<c>OTEL_EXPORTER_OTLP_HEADERS</c>, <c>OTEL_BSP_SCHEDULE_DELAY</c>, …).
/// The kernel's own copy of each turn (its database) does not depend on it.
/// </summary>
public static partial class TurnExport
{
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string TracesEndpointVariable = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
    public const string ProtocolVariable = "OTEL_EXPORTER_OTLP_PROTOCOL";
    public const string TracesProtocolVariable = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";

    /// <summary>The service name a process's spans carry: rosaos-kernel, rosaos-worker, rosaos-reachy.</summary>
    public static string ServiceName(string process) => "rosaos-" + process;

    /// <summary>Starts exporting when an endpoint is configured; null (nothing exported) otherwise or when the settings are wrong.</summary>
    public static TracerProvider? Start(string process, ILogger logger)
    {
        var endpoint = RosaEnvironment.Get(TracesEndpointVariable) ?? RosaEnvironment.Get(EndpointVariable);
        if (endpoint is null)
        {
            return null;
        }
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            LogBadSetting(logger, EndpointVariable, endpoint, "an absolute http:// or https:// URL");
            return null;
        }
        var protocolText = RosaEnvironment.Get(TracesProtocolVariable) ?? RosaEnvironment.Get(ProtocolVariable) ?? "http/protobuf";
        OtlpExportProtocol protocol;
        switch (protocolText)
        {
            case "http/protobuf":
                protocol = OtlpExportProtocol.HttpProtobuf;
                break;
            case "grpc":
                protocol = OtlpExportProtocol.Grpc;
                break;
            default:
                LogBadSetting(logger, ProtocolVariable, protocolText, "http/protobuf or grpc");
                return null;
        }
        // The SDK reads the endpoint itself (so OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/traces appended for HTTP); only the
        // protocol is set here, because the .NET exporter's own default is gRPC where the specification's is HTTP.
        var service = ServiceName(process);
        var provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(TurnTracing.SourceName)
            .ConfigureResource(r => r.AddService(service, serviceVersion: RosaWebHost.Version))
            .AddOtlpExporter(o => o.Protocol = protocol)
            .Build();
        LogExporting(logger, service, endpoint, protocolText);
        return provider;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Exporting turn spans as {Service} over OTLP to {Endpoint} ({Protocol})")]
    private static partial void LogExporting(ILogger logger, string service, string endpoint, string protocol);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not exporting turn spans: {Variable} is \"{Value}\"; it must be {Expected}")]
    private static partial void LogBadSetting(ILogger logger, string variable, string value, string expected);
}
