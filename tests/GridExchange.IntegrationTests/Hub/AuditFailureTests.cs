using Grpc.Core;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.V1;
using Npgsql;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// "Nothing unaudited is sent": when the audit log stops taking entries, reads of personal data
/// stop too — a subscription mid-replay ends UNAVAILABLE having delivered no more changes than
/// the log recorded, and a pull gets nothing. SubscribeChanges appends a page's entry while the
/// previous page is still being written, so this also holds the pipelining to its promise.
/// </summary>
public sealed class AuditFailureTests
{
    private const string SubscribeMethod = "/gridexchange.v1.ExchangeService/SubscribeChanges";

    [Fact]
    public async Task WhenTheAuditLogRefusesEntries_ReadsStop_AndNoChangeIsSentUnaudited()
    {
        var connectionString = await PostgresServer.NewDatabaseAsync("auditfail");
        await using var hub = await HubInstance.StartAsync(null, connectionString, loadSample: true);
        var exchange = new ExchangeService.ExchangeServiceClient(hub.Channel);
        var total = await ScalarAsync(connectionString, "SELECT count(*) FROM change_log");
        Assert.True(total > 10_000, $"the sample logged only {total} changes");

        using var subscription = exchange.SubscribeChanges(new SubscribeChangesRequest(), deadline: DateTime.UtcNow.AddSeconds(90));
        Assert.True(await subscription.ResponseStream.MoveNext(CancellationToken.None));
        Assert.NotNull(subscription.ResponseStream.Current.Change);
        var received = 1L;

        // From here every append fails (existing rows are not checked: NOT VALID).
        await ExecuteAsync(connectionString, "ALTER TABLE audit_log ADD CONSTRAINT gx_test_refuse CHECK (seq < 0) NOT VALID");

        var ended = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await subscription.ResponseStream.MoveNext(CancellationToken.None))
            {
                Assert.Null(subscription.ResponseStream.Current.Heartbeat); // caught up would mean every page was audited
                received++;
            }
        });
        Assert.Equal(StatusCode.Unavailable, ended.StatusCode);

        var audited = await ScalarAsync(connectionString, $"SELECT coalesce(sum(record_count), 0) FROM audit_log WHERE method = '{SubscribeMethod}'");
        Assert.True(received <= audited, $"{received:N0} changes received, {audited:N0} audited");
        Assert.True(received < total, $"the whole log ({total:N0}) went out although the audit log refused entries");

        // A pull with rows gets nothing either; with the log taking entries again, it does.
        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            exchange.PullChangesAsync(new PullChangesRequest { PageSize = 10 }, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);

        await ExecuteAsync(connectionString, "ALTER TABLE audit_log DROP CONSTRAINT gx_test_refuse");
        var page = await exchange.PullChangesAsync(new PullChangesRequest { PageSize = 10 }, deadline: DateTime.UtcNow.AddSeconds(30));
        Assert.Equal(10, page.Changes.Count);
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
