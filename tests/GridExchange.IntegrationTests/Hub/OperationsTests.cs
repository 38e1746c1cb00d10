using System.Net;
using System.Text.Json;
using Grpc.Core;
using GridExchange.Hub.Security;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.V1;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// What operators watch, on the operations listener (loopback HTTP/1.1, beside the Hangfire
/// dashboard): the Prometheus scrape carries the hub's own metrics — ingest by result and rejects
/// by reason, changes served by RPC, open subscriptions — and the health endpoints follow the
/// store and Hangfire: a database that refuses connections makes the hub not ready (503) until
/// it takes them again, while liveness stays 200.
/// </summary>
public sealed class OperationsTests
{
    private static readonly Dictionary<string, string?> WithOperationsListener = new() { ["GridExchange:DashboardPort"] = "0" };

    [Fact]
    public async Task Metrics_CountIngestRejectsServedChangesAndSubscribers()
    {
        var directory = Directory.CreateTempSubdirectory("gridx-ops-").FullName;
        await using var hub = await HubInstance.StartAsync(Path.Combine(directory, "hub.db"), null, settings: WithOperationsListener);
        using var http = new HttpClient { BaseAddress = Operations(hub) };
        var exchange = new ExchangeService.ExchangeServiceClient(hub.Channel);

        // A batch with one valid and one malformed person: one applied, one rejected (INVALID_CODE or the like).
        var person = (await new PopulationService.PopulationServiceClient(hub.Channel).ListPersonsAsync(
            new ListPersonsRequest { AncestorCode = "370602000000", PageSize = 1 }, deadline: Calls.Deadline())).Persons[0];
        var bad = person.Clone();
        bad.Meta.Id = "p-370602-9999999";
        bad.GridCode = "37060200100100";
        var submitted = await exchange.SubmitChangesAsync(new SubmitChangesRequest
        {
            RequestId = Guid.NewGuid().ToString("N"),
            SourceSystem = "county-370602",
            Changes = { FeedCalls.Upsert(person, person.Meta.Version + 1, "ops-ok"), FeedCalls.Upsert(bad, 1, "ops-bad") },
        }, deadline: Calls.Deadline());
        Assert.Equal((1, 1), (submitted.AppliedCount, submitted.RejectedCount));
        var reason = GridExchange.Domain.Ingest.ErrorReasonCodes.ToReason(submitted.Results.Single(r => r.Status == ChangeResultStatus.Rejected).Reason);

        var pulled = await exchange.PullChangesAsync(new PullChangesRequest { PageSize = 100 }, deadline: Calls.Deadline());
        using var subscription = exchange.SubscribeChanges(new SubscribeChangesRequest { Cursor = pulled.NextCursor }, deadline: DateTime.UtcNow.AddMinutes(2));
        await WaitForAsync(http, text => Value(text, "gridexchange_feed_subscribers", "") == 1);

        var scrape = await http.GetStringAsync("/metrics");
        Assert.Equal(1, Value(scrape, "gridexchange_ingest_changes_total", "result=\"applied\""));
        Assert.Equal(1, Value(scrape, "gridexchange_ingest_changes_total", "result=\"rejected\""));
        Assert.Equal(1, Value(scrape, "gridexchange_ingest_rejects_total", $"reason=\"{reason}\""));
        Assert.Equal(pulled.Changes.Count, Value(scrape, "gridexchange_feed_changes_served_total", "rpc=\"pull\""));
        // ASP.NET Core's own request metrics come along on the same scrape.
        Assert.Contains("http_server_request_duration_seconds", scrape, StringComparison.Ordinal);

        subscription.Dispose();
        await WaitForAsync(http, text => Value(text, "gridexchange_feed_subscribers", "") == 0);
    }

    [Fact]
    public async Task Readiness_FollowsTheStore_LivenessDoesNot()
    {
        var database = await PostgresServer.NewDatabaseAsync("ops");
        await using var hub = await HubInstance.StartAsync(null, database, loadSample: false, settings: WithOperationsListener);
        using var http = new HttpClient { BaseAddress = Operations(hub), Timeout = TimeSpan.FromSeconds(60) };

        // Ready once this replica's Hangfire server has registered.
        var ready = await WaitForReadyAsync(http, HttpStatusCode.OK);
        Assert.Equal(("Healthy", "Healthy"), (ready.GetProperty("checks").GetProperty("store").GetProperty("status").GetString(),
            ready.GetProperty("checks").GetProperty("hangfire").GetProperty("status").GetString()));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);

        // The database refuses new connections and drops the hub's: not ready; still alive.
        var name = new NpgsqlConnectionStringBuilder(database).Database!;
        await AdminAsync($"ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS false", name);
        NpgsqlConnection.ClearAllPools();
        var down = await WaitForReadyAsync(http, HttpStatusCode.ServiceUnavailable);
        Assert.Equal("Unhealthy", down.GetProperty("checks").GetProperty("store").GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
        var health = new Grpc.Health.V1.Health.HealthClient(hub.Channel);
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.NotServing,
            (await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest(), deadline: Calls.Deadline())).Status);

        // Connections allowed again: ready again.
        await AdminAsync($"ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS true", null);
        await WaitForReadyAsync(http, HttpStatusCode.OK);
    }

    private static Uri Operations(HubInstance hub) => new($"http://127.0.0.1:{hub.Services.GetRequiredService<HubDashboard>().Port}");

    // Runs a statement on the server's maintenance database; terminates the sessions of `terminate` first.
    private static async Task AdminAsync(string sql, string? terminate)
    {
        var admin = new NpgsqlConnectionStringBuilder((await PostgresServer.GetAsync()).AdminConnectionString) { Pooling = false }.ConnectionString;
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using (var command = new NpgsqlCommand(sql, connection))
        {
            await command.ExecuteNonQueryAsync();
        }

        if (terminate is not null)
        {
            await using var kill = new NpgsqlCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = @db", connection);
            kill.Parameters.AddWithValue("db", terminate);
            await kill.ExecuteScalarAsync();
        }
    }

    private static async Task<JsonElement> WaitForReadyAsync(HttpClient http, HttpStatusCode wanted)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var response = await http.GetAsync("/readyz");
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == wanted)
            {
                return JsonDocument.Parse(body).RootElement.Clone();
            }

            Assert.True(DateTime.UtcNow < until, $"/readyz stayed {(int)response.StatusCode}: {body}");
            await Task.Delay(200);
        }
    }

    private static async Task WaitForAsync(HttpClient http, Func<string, bool> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!condition(await http.GetStringAsync("/metrics")))
        {
            Assert.True(DateTime.UtcNow < until, "The scrape did not show the expected value within 30 s.");
            await Task.Delay(100);
        }
    }

    // The value of the sample of `metric` whose labels contain `label` (every label set when empty); 0 when absent.
    private static double Value(string scrape, string metric, string label) =>
        scrape.Split('\n')
            .Where(line => line.StartsWith(metric + "{", StringComparison.Ordinal) || line.StartsWith(metric + " ", StringComparison.Ordinal))
            .Where(line => label.Length == 0 || line.Contains(label, StringComparison.Ordinal))
            .Select(line => double.Parse(
                line[(line.Contains('}', StringComparison.Ordinal) ? line.LastIndexOf('}') + 1 : line.IndexOf(' ', StringComparison.Ordinal))..].Trim().Split(' ')[0],
                System.Globalization.CultureInfo.InvariantCulture))
            .Sum();
}
