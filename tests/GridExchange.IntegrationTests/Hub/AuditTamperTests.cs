using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.DependencyInjection;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// The audit log over AdminService on a hub of its own, on each store: intact while untouched;
/// a row changed behind the hub's back (past the append-only triggers, as a database superuser
/// could) is reported by VerifyAuditLog at its sequence.
/// </summary>
public sealed class AuditTamperTests
{
    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [InlineData(StoreKind.Postgres)]
    public async Task ATamperedAuditRow_IsDetectedByVerifyAuditLog(StoreKind kind)
    {
        await using var scratch = await ScratchHub.StartAsync(kind);
        var hub = scratch.Hub;
        var admin = new AdminService.AdminServiceClient(TestPeers.Authenticated(hub.RawChannel, "hub-admin"));

        // Each call to the audit RPCs is itself recorded: five entries.
        for (var i = 0; i < 5; i++)
        {
            await admin.VerifyAuditLogAsync(new VerifyAuditLogRequest(), deadline: Calls.Deadline());
        }

        var intact = await admin.VerifyAuditLogAsync(new VerifyAuditLogRequest(), deadline: Calls.Deadline());
        Assert.True(intact.Intact, intact.Problem);
        Assert.Equal(5, intact.VerifiedCount);

        var store = (SqlHubStore)hub.Services.GetRequiredService<IHubStore>();
        await store.ExecuteSqlAsync(kind == StoreKind.Postgres
            ? "SET LOCAL session_replication_role = replica; UPDATE audit_log SET record_count = record_count + 1 WHERE seq = 3"
            : "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET record_count = record_count + 1 WHERE seq = 3", CancellationToken.None);

        var broken = await admin.VerifyAuditLogAsync(new VerifyAuditLogRequest(), deadline: Calls.Deadline());
        Assert.False(broken.Intact);
        Assert.Equal(3, broken.BrokenAtSequence);
        Assert.NotEmpty(broken.Problem);
    }
}
