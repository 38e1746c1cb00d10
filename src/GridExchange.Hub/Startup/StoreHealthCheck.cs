using GridExchange.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GridExchange.Hub.Startup;

/// <summary>grpc.health.v1 reports SERVING only while the store answers.</summary>
internal sealed class StoreHealthCheck(IHubStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await store.PingAsync(cancellationToken)
                ? HealthCheckResult.Healthy($"{store.Kind} store answers")
                : HealthCheckResult.Unhealthy($"{store.Kind} store gave a wrong answer");
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"{store.Kind} store unreachable", e);
        }
    }
}
