using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Google.Rpc;
using Grpc.Core;
using GridExchange.Domain.Errors;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.PeerSimulator.Faults;
using GridExchange.V1;

namespace GridExchange.IntegrationTests.PeerSimulator;

/// <summary>Each fault as the hub's client sees it over a real socket.</summary>
public sealed class FaultInjectionTests : IClassFixture<SourceSimulatorFixture>
{
    private readonly SourceSimulatorFixture _fixture;

    public FaultInjectionTests(SourceSimulatorFixture fixture)
    {
        _fixture = fixture;
        fixture.Host.Faults.Update(FaultSettings.None);
    }

    private FaultPolicy Faults => _fixture.Host.Faults;

    [Fact]
    public async Task Dropped_Unavailable_WithoutDetails()
    {
        Faults.Update(new FaultSettings { DropProbability = 1 });

        var e = await Assert.ThrowsAsync<RpcException>(() => SimulatorCalls.ExportAsync(_fixture.Client, new ExportChangesRequest()));

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Null(e.GetRpcStatus());
    }

    [Fact]
    public async Task Dropped_BeforeAuthentication()
    {
        Faults.Update(new FaultSettings { DropProbability = 1 });

        var e = await Assert.ThrowsAsync<RpcException>(() => SimulatorCalls.ExportAsync(_fixture.Client, new ExportChangesRequest(), token: "wrong"));

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
    }

    [Theory]
    [InlineData(InjectedError.Unavailable, StatusCode.Unavailable, ErrorReasons.ServiceUnavailable)]
    [InlineData(InjectedError.ResourceExhausted, StatusCode.ResourceExhausted, ErrorReasons.RateLimited)]
    public async Task InjectedError_CarriesRetryInfoInTheTrailer(InjectedError error, StatusCode code, string reason)
    {
        Faults.Update(new FaultSettings { ErrorProbability = 1, Error = error, RetryAfterMs = 1500 });

        var status = await ErrorAssert.ThrowsAsync(() => SimulatorCalls.ExportAsync(_fixture.Client, new ExportChangesRequest()), code, reason);

        var retry = status.GetDetail<RetryInfo>();
        Assert.NotNull(retry);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), retry.RetryDelay.ToTimeSpan());
    }

    [Fact]
    public async Task ResetMidStream_ClientSeesAnErrorAfterNMessages()
    {
        Faults.Update(new FaultSettings { ResetAfterMessages = 3 });
        using var call = _fixture.Client.ExportChanges(new ExportChangesRequest { MaxBatchSize = 100 }, SimulatorCalls.Auth(), Calls.Deadline());
        var received = 0;

        var e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                received++;
            }
        });

        // The simulator writes 3 messages and then resets the stream; messages that reached the
        // client but were not read yet when RST_STREAM arrived are dropped by its transport (seen
        // under load in CI: 2), so at most 3 arrive — never a 4th, never a clean end.
        Assert.InRange(received, 0, 3);
        Assert.NotEqual(StatusCode.OK, e.StatusCode);
        Assert.NotEqual(StatusCode.DeadlineExceeded, e.StatusCode);
    }

    [Fact]
    public async Task ResetMidStream_ResumingFromTheLastCheckpointCompletesTheExport()
    {
        Faults.Update(new FaultSettings { ResetAfterMessages = 4 });
        var checkpoint = "";
        var keys = new List<string>();
        var finished = false;
        for (var attempt = 0; attempt < 20 && !finished; attempt++)
        {
            using var call = _fixture.Client.ExportChanges(new ExportChangesRequest { MaxBatchSize = 1000, Checkpoint = checkpoint }, SimulatorCalls.Auth(), Calls.Deadline());
            try
            {
                while (await call.ResponseStream.MoveNext(CancellationToken.None))
                {
                    var batch = call.ResponseStream.Current;
                    keys.AddRange(batch.Changes.Where(c => batch.Kind != ExportBatchKind.Changes).Select(c => $"{c.EntityType}/{c.EntityKey}"));
                    checkpoint = batch.Checkpoint;
                    finished |= batch.Kind == ExportBatchKind.SnapshotEnd;
                }
            }
            catch (RpcException)
            {
                // the injected reset: resume from the last checkpoint received
            }
        }

        var state = await _fixture.Host.GetStateAsync(CancellationToken.None);
        Assert.True(finished);
        Assert.Equal(state.TotalRecords, keys.Count);
        Assert.Equal(keys.Count, keys.Distinct().Count());
    }

    [Fact]
    public async Task BlackHole_CallerHitsItsDeadline()
    {
        Faults.Update(new FaultSettings { BlackHoleAfterCalls = 1 });
        Assert.NotEmpty(await SimulatorCalls.ExportAsync(_fixture.Client, new ExportChangesRequest(), take: 1));

        var started = Stopwatch.GetTimestamp();
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            SimulatorCalls.ExportAsync(_fixture.Client, new ExportChangesRequest(), deadline: DateTime.UtcNow.AddMilliseconds(700)));

        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        Assert.True(Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(600));
    }

    [Fact]
    public async Task Latency_DelaysTheAnswer()
    {
        Faults.Update(new FaultSettings { LatencyMs = 400 });
        var started = Stopwatch.GetTimestamp();

        var e = await Assert.ThrowsAsync<RpcException>(async () => await _fixture.Client.ReceiveChangesAsync(
            new ReceiveChangesRequest { Kind = ReceiveBatchKind.Changes, Cursor = "c" }, SimulatorCalls.Auth(), Calls.Deadline()));

        Assert.Equal(StatusCode.Unimplemented, e.StatusCode); // handled normally, only later
        Assert.True(Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(380));
    }

    [Fact]
    public async Task SlowRead_SpacesTheStreamedMessages()
    {
        Faults.Update(new FaultSettings { SlowReadMs = 200 });
        var started = Stopwatch.GetTimestamp();

        var batches = await SimulatorCalls.ExportAsync(_fixture.Client, new ExportChangesRequest { MaxBatchSize = 1000 }, take: 4);

        Assert.Equal(4, batches.Count);
        Assert.True(Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(580));
    }

    [Fact]
    public async Task SeededDrops_FollowThePolicyExactly()
    {
        var settings = new FaultSettings { Seed = 21, DropProbability = 0.5 };
        var expected = new FaultPolicy(settings);
        Faults.Update(settings);

        for (var i = 0; i < 16; i++)
        {
            var drop = expected.Next().Drop;
            var call = _fixture.Client.ReceiveDirectiveAsync(new ReceiveDirectiveRequest(), SimulatorCalls.Auth(), Calls.Deadline());
            var e = await Assert.ThrowsAsync<RpcException>(async () => await call);
            Assert.Equal(drop ? StatusCode.Unavailable : StatusCode.Unimplemented, e.StatusCode);
        }
    }

    [Fact]
    public async Task AdminEndpoint_SetsFaultsAtRunTimeAndReportsState()
    {
        using var http = new HttpClient { BaseAddress = _fixture.Host.AdminAddress, Timeout = TimeSpan.FromSeconds(30) };
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await http.GetAsync(new Uri("/admin/state", UriKind.Relative))).StatusCode);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SourceSimulatorFixture.Token);

        var put = await http.PutAsJsonAsync(new Uri("/admin/faults", UriKind.Relative), new { dropProbability = 1.0 });
        put.EnsureSuccessStatusCode();
        var e = await Assert.ThrowsAsync<RpcException>(() => SimulatorCalls.ExportAsync(_fixture.Client, new ExportChangesRequest()));
        Assert.Equal(StatusCode.Unavailable, e.StatusCode);

        var bad = await http.PutAsJsonAsync(new Uri("/admin/faults", UriKind.Relative), new { dropProbability = 3.0 });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(1.0, Faults.Settings.DropProbability);

        var state = await http.GetFromJsonAsync<System.Text.Json.JsonElement>(new Uri("/admin/state", UriKind.Relative));
        Assert.Equal("source", state.GetProperty("role").GetString());
        Assert.Equal((await _fixture.Host.GetStateAsync(CancellationToken.None)).TotalRecords, state.GetProperty("totalRecords").GetInt64());
    }
}
