using Hangfire;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace GridExchange.Hub.Operations;

/// <summary>
/// Hangfire is healthy when its storage answers and — on a replica that runs a Hangfire server —
/// this process's server has sent a heartbeat recently (it runs the sync jobs; a replica whose
/// server stalled syncs nothing). The server's heartbeat comes every 30 seconds; two minutes
/// without one is a stalled server.
/// </summary>
internal sealed class HangfireHealthCheck(JobStorage storage, IOptions<HubOptions> options, TimeProvider clock) : IHealthCheck
{
    private static readonly TimeSpan Stale = TimeSpan.FromMinutes(2);

    // The server name HubHost gives this process's server (gridexchange-hub:{machine}:{pid}),
    // to which Hangfire appends ":{guid}".
    private static readonly string OwnServerPrefix = $"gridexchange-hub:{Environment.MachineName}:{Environment.ProcessId}";

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        IList<Hangfire.Storage.Monitoring.ServerDto> servers;
        try
        {
            servers = storage.GetMonitoringApi().Servers();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("Hangfire storage unreachable", e));
        }

        if (!options.Value.RunHangfireServer)
        {
            return Task.FromResult(HealthCheckResult.Healthy($"Hangfire storage answers; this replica runs no server ({servers.Count} elsewhere)"));
        }

        var own = servers.FirstOrDefault(s => s.Name.StartsWith(OwnServerPrefix, StringComparison.Ordinal));
        if (own?.Heartbeat is not { } beat)
        {
            // Just started: the server registers itself within a few seconds.
            return Task.FromResult(HealthCheckResult.Degraded("This replica's Hangfire server has not registered yet"));
        }

        var age = clock.GetUtcNow() - new DateTimeOffset(DateTime.SpecifyKind(beat, DateTimeKind.Utc));
        return Task.FromResult(age <= Stale
            ? HealthCheckResult.Healthy($"Hangfire server {own.Name} beat {Math.Max(0, age.TotalSeconds):0} s ago")
            : HealthCheckResult.Unhealthy($"Hangfire server {own.Name} last beat {age.TotalSeconds:0} s ago"));
    }
}
