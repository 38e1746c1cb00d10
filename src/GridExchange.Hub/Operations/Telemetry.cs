using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace GridExchange.Hub.Operations;

/// <summary>
/// What operators watch the hub with: OpenTelemetry metrics (the hub's own <see cref="HubMetrics"/>,
/// ASP.NET Core's and Kestrel's, Polly's per-peer pipelines) on a Prometheus scrape endpoint and,
/// when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, over OTLP with traces (a span per call and per
/// sync run); log records carrying the trace and span ids of their call; and health endpoints.
/// All of it is served on the operations listener (loopback, <see cref="HubOptions.DashboardPort"/>,
/// beside the Hangfire dashboard), never on the gRPC listener:
/// <list type="bullet">
/// <item><c>/metrics</c> — the Prometheus scrape (text format);</item>
/// <item><c>/healthz</c> — liveness: 200 while the process serves;</item>
/// <item><c>/readyz</c> — readiness: 200 when the store answers and Hangfire is healthy, 503 when not, with each check as JSON.</item>
/// </list>
/// </summary>
internal static class Telemetry
{
    /// <summary>The scrape path.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>The liveness path.</summary>
    public const string LivePath = "/healthz";

    /// <summary>The readiness path.</summary>
    public const string ReadyPath = "/readyz";

    // Meters besides the hub's own: request metrics of ASP.NET Core and Kestrel, and Polly's.
    private static readonly string[] Meters =
        [HubMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Polly"];

    /// <summary>Registers metrics, traces and trace ids in logs.</summary>
    public static void Add(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<HubMetrics>();
        builder.Logging.Configure(logging =>
            logging.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("gridexchange-hub", serviceInstanceId: $"{Environment.MachineName}:{Environment.ProcessId}"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(Meters).AddPrometheusExporter();
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        if (otlp)
        {
            telemetry.WithTracing(tracing => tracing.AddSource(HubMetrics.ActivitySourceName).AddAspNetCoreInstrumentation().AddOtlpExporter());
        }
    }

    /// <summary>Serves <see cref="MetricsPath"/>, <see cref="LivePath"/> and <see cref="ReadyPath"/> on the branch it is given.</summary>
    public static void Map(IApplicationBuilder branch)
    {
        ArgumentNullException.ThrowIfNull(branch);
        branch.UseOpenTelemetryPrometheusScrapingEndpoint(MetricsPath);
        branch.UseHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        branch.UseHealthChecks(ReadyPath, new HealthCheckOptions
        {
            ResponseWriter = WriteAsync,
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status200OK,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        });
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description ?? "" }),
        }));
    }
}
