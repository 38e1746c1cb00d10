using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.V1;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// A consumer pulls part of the feed, the hub process is stopped and started again on the same
/// store, and the consumer resumes from its cursor: it must see exactly the changes an
/// uninterrupted pull sees, none twice, none missing.
/// </summary>
public sealed class FeedRestartTests
{
    [Fact]
    public async Task Sqlite_ResumesAcrossARestart_WithoutGapOrDuplicate()
    {
        var directory = Directory.CreateTempSubdirectory("gridx-restart-").FullName;
        try
        {
            await ResumeAcrossRestartAsync(() => HubInstance.StartAsync(Path.Combine(directory, "hub.db"), null));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Postgres_ResumesAcrossARestart_WithoutGapOrDuplicate()
    {
        var database = await PostgresServer.NewDatabaseAsync("restart");
        await ResumeAcrossRestartAsync(() => HubInstance.StartAsync(null, database));
    }

    [Fact]
    public async Task Shutdown_EndsOpenSubscriptionsWithUnavailable_PromptlyAndRetryably()
    {
        var directory = Directory.CreateTempSubdirectory("gridx-shutdown-").FullName;
        try
        {
            await using var hub = await HubInstance.StartAsync(Path.Combine(directory, "hub.db"), null, runHangfire: false);
            var client = new ExchangeService.ExchangeServiceClient(hub.Channel);
            var head = (await client.PullChangesAsync(
                new PullChangesRequest { Scope = new ChangeScope { RegionPrefixes = { "370699000000" } } }, deadline: Calls.Deadline())).NextCursor;
            using var call = client.SubscribeChanges(new SubscribeChangesRequest
            {
                Cursor = head,
                HeartbeatInterval = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(1)),
            }, deadline: Calls.Deadline());
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));

            var lifetime = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
                .GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>(hub.Services);
            var stopped = System.Diagnostics.Stopwatch.StartNew();
            lifetime.StopApplication();
            await ErrorAssert.ThrowsAsync(async () =>
            {
                while (await call.ResponseStream.MoveNext(CancellationToken.None))
                {
                }
            }, Grpc.Core.StatusCode.Unavailable, "SERVICE_UNAVAILABLE");
            Assert.True(stopped.Elapsed < TimeSpan.FromSeconds(10), $"took {stopped.Elapsed}");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task ResumeAcrossRestartAsync(Func<Task<HubInstance>> start)
    {
        var scope = new ChangeScope { RegionPrefixes = { "370611000000" } };
        var seen = new List<long>();
        string cursor;
        await using (var hub = await start())
        {
            var client = new ExchangeService.ExchangeServiceClient(hub.Channel);
            var page1 = await client.PullChangesAsync(new PullChangesRequest { Scope = scope, PageSize = 300 }, deadline: Calls.Deadline());
            var page2 = await client.PullChangesAsync(new PullChangesRequest { Scope = scope, PageSize = 300, Cursor = page1.NextCursor }, deadline: Calls.Deadline());
            seen.AddRange(page1.Changes.Concat(page2.Changes).Select(c => c.Sequence));
            cursor = page2.NextCursor;
            Assert.False(page2.CaughtUp);
            Assert.Empty(hub.ErrorLog.Errors);
        }

        await using (var hub = await start())
        {
            var client = new ExchangeService.ExchangeServiceClient(hub.Channel);
            while (true)
            {
                var page = await client.PullChangesAsync(new PullChangesRequest { Scope = scope, PageSize = 450, Cursor = cursor }, deadline: Calls.Deadline());
                seen.AddRange(page.Changes.Select(c => c.Sequence));
                cursor = page.NextCursor;
                if (page.CaughtUp)
                {
                    break;
                }
            }

            var uninterrupted = new List<long>();
            var all = "";
            while (true)
            {
                var page = await client.PullChangesAsync(new PullChangesRequest { Scope = scope, PageSize = 1000, Cursor = all }, deadline: Calls.Deadline());
                uninterrupted.AddRange(page.Changes.Select(c => c.Sequence));
                all = page.NextCursor;
                if (page.CaughtUp)
                {
                    break;
                }
            }

            Assert.True(uninterrupted.Count > 600);
            Assert.Equal(uninterrupted, seen);
            Assert.Empty(hub.ErrorLog.Errors);
        }
    }
}
