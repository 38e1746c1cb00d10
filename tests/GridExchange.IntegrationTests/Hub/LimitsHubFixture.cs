using GridExchange.Domain.Security;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.DependencyInjection;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// One SQLite hub with tiny per-peer limits (2 calls per second, bursts of 3, 2 open streams),
/// deadlines required and the Hangfire dashboard on a free loopback port, shared by the
/// rate-limit, deadline and dashboard tests. Each test calls as peers of its own
/// (<see cref="RegisterAsync"/>), so one test's bucket never limits another's.
/// </summary>
public sealed class LimitsHubFixture : HubFixture
{
    /// <summary>Calls per second per peer.</summary>
    public const int PerSecond = 2;

    /// <summary>Bucket size per peer.</summary>
    public const int Burst = 3;

    /// <summary>Open streams per peer.</summary>
    public const int Streams = 2;

    /// <summary>A county the sample holds data for.</summary>
    public const string Zhifu = "370602000000";

    /// <summary>The hub's store.</summary>
    public IHubStore Store => Hub.Services.GetRequiredService<IHubStore>();

    /// <summary>Registers a CONSUMER peer of county 370602 under a fresh id; returns the id (its token: <see cref="TestPeers.TokenFor"/>).</summary>
    public async Task<string> RegisterAsync(string prefix)
    {
        var id = $"{prefix}-{Guid.NewGuid():N}"[..24];
        await Store.UpsertPeerAsync(new Peer
        {
            Id = id,
            Name = id,
            Level = RegionLevel.County,
            RegionCode = Zhifu,
            Roles = { PeerRole.Consumer },
            DataClasses = { DataClass.S1, DataClass.S2, DataClass.S3 },
            Enabled = true,
        }, CancellationToken.None);
        await Store.IssueCredentialAsync(id, BearerTokens.Hash(TestPeers.TokenFor(id)), revokeOthers: false, CancellationToken.None);
        return id;
    }

    /// <inheritdoc />
    protected override Task<HubInstance> StartAsync() =>
        HubInstance.StartAsync(NewSqlitePath("gridx-limits-"), null, runHangfire: false, settings: new Dictionary<string, string?>
        {
            ["GridExchange:RateLimitPerSecond"] = PerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["GridExchange:RateLimitBurst"] = Burst.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["GridExchange:MaxStreamsPerPeer"] = Streams.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["GridExchange:RequireDeadlines"] = "true",
            ["GridExchange:DashboardPort"] = "0",
        });
}

/// <summary>The tests sharing <see cref="LimitsHubFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class LimitsHubCollection : ICollectionFixture<LimitsHubFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "limits hub";
}
