using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using GridExchange.Client;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.V1;

namespace GridExchange.IntegrationTests.Client;

/// <summary>
/// The .NET client's resumable consumer against a real hub over real sockets: it follows the
/// feed across a clean stop of the consumer and a restart of the hub with no gap and no
/// duplicate; a snapshot broken off mid-way is resumed and followed to the same state as a full
/// pull; RESYNC_REQUIRED surfaces as its own exception instead of being retried.
/// </summary>
public sealed class ClientFeedTests
{
    private static readonly ChangeScope Zhifu = new() { RegionPrefixes = { "370611000000" } };

    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [InlineData(StoreKind.Postgres)]
    public async Task Consumer_ResumesAcrossAConsumerStopAndAHubRestart_WithoutGapOrDuplicate(StoreKind kind)
    {
        var directory = Directory.CreateTempSubdirectory("gridx-client-").FullName;
        var database = kind == StoreKind.Postgres ? await PostgresServer.NewDatabaseAsync("client") : null;
        var settings = new Dictionary<string, string?> { ["GridExchange:Port"] = FreePort().ToString(CultureInfo.InvariantCulture) };
        Task<HubInstance> StartHubAsync() =>
            HubInstance.StartAsync(database is null ? Path.Combine(directory, "hub.db") : null, database, runHangfire: false, settings: settings);

        HubInstance? hub = await StartHubAsync();
        try
        {
            using var client = new GridExchangeClient(new GridExchangeClientOptions
            {
                Address = hub.Address,
                BearerToken = TestPeers.TokenFor(TestPeers.Province),
            });
            var (all, _) = await FeedCalls.PullAllAsync(client.Exchange, "", Zhifu);
            var expected = all.Select(c => c.Sequence).ToList();
            Assert.True(expected.Count > 600, $"only {expected.Count} changes");

            var checkpoints = new FileCheckpointStore(Path.Combine(directory, "consumer.checkpoint"));
            var reconnects = new ConcurrentQueue<ReconnectEvent>();
            var options = new ChangeFeedConsumerOptions
            {
                Scope = Zhifu,
                HeartbeatInterval = TimeSpan.FromSeconds(1),
                ReconnectBaseDelay = TimeSpan.FromMilliseconds(50),
                ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
                OnReconnect = e => { reconnects.Enqueue(e); return ValueTask.CompletedTask; },
            };
            var seen = new List<long>();

            // 1. A clean stop of the consumer after 150 changes.
            using (var stop = new CancellationTokenSource())
            {
                var first = client.CreateConsumer(checkpoints, options).RunAsync((change, _) =>
                {
                    seen.Add(change.Sequence);
                    if (seen.Count == 150)
                    {
                        stop.Cancel();
                    }

                    return ValueTask.CompletedTask;
                }, stop.Token);
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.WaitAsync(TimeSpan.FromMinutes(1)));
            }

            Assert.Equal(150, seen.Count);
            Assert.Equal(seen[^1], FeedCalls.SequenceOf((await checkpoints.LoadAsync(CancellationToken.None))!.Cursor));

            // 2. A new consumer on the same checkpoint; the hub is stopped and started again under it after 400 changes.
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var caughtUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(4));
            var second = client.CreateConsumer(checkpoints, options).RunAsync(async (change, _) =>
            {
                lock (seen)
                {
                    seen.Add(change.Sequence);
                }

                if (seen.Count == 400)
                {
                    reached.TrySetResult();
                    await gate.Task;
                }

                if (seen.Count >= expected.Count && change.Sequence == expected[^1])
                {
                    caughtUp.TrySetResult();
                }
            }, cancel.Token);

            await reached.Task.WaitAsync(TimeSpan.FromMinutes(1));
            var stopped = hub;
            hub = null;
            await stopped.DisposeAsync();
            Assert.Empty(stopped.ErrorLog.Errors);
            gate.SetResult();
            hub = await StartHubAsync();

            await caughtUp.Task.WaitAsync(TimeSpan.FromMinutes(2));
            // A few heartbeats more: nothing arrives twice afterwards.
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second.WaitAsync(TimeSpan.FromMinutes(1)));

            Assert.Equal(expected, seen);
            Assert.NotEmpty(reconnects);
            Assert.All(reconnects, r => Assert.False(r.InSnapshot));
            Assert.Empty(hub.ErrorLog.Errors);
        }
        finally
        {
            if (hub is not null)
            {
                await hub.DisposeAsync();
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [InlineData(StoreKind.Postgres)]
    public async Task SnapshotThenFollow_InterruptedMidSnapshot_EndsEqualToAFullPull(StoreKind kind)
    {
        await using var scratch = await ScratchHub.StartAsync(kind);
        var directory = Directory.CreateTempSubdirectory("gridx-client-snap-").FullName;
        try
        {
            using var client = new GridExchangeClient(new GridExchangeClientOptions
            {
                Address = scratch.Hub.Address,
                BearerToken = TestPeers.TokenFor(TestPeers.Province),
            });
            var checkpoints = new FileCheckpointStore(Path.Combine(directory, "consumer.checkpoint"));
            var options = new ChangeFeedConsumerOptions { Scope = Zhifu, StartWithSnapshot = true, HeartbeatInterval = TimeSpan.FromSeconds(1) };
            var copy = new CopyHandler();

            // 1. The first run dies while handling the third chunk: the first two are stored, with their token.
            copy.FailAtChunk = 3;
            await Assert.ThrowsAsync<InvalidOperationException>(() =>
                client.CreateConsumer(checkpoints, options).RunAsync(copy, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1)));
            var partial = await checkpoints.LoadAsync(CancellationToken.None);
            Assert.NotNull(partial);
            Assert.True(partial.SnapshotInProgress);
            Assert.Equal(copy.Records.Count, partial.SnapshotRecordsHandled);
            Assert.Equal([SnapshotStartReason.Initial], copy.Starts);

            // 2. The next run resumes the same snapshot, ends it, and follows; a change submitted meanwhile arrives.
            copy.FailAtChunk = null;
            using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            var run = client.CreateConsumer(checkpoints, options).RunAsync(copy, cancel.Token);
            await copy.Heartbeat.Task.WaitAsync(TimeSpan.FromMinutes(1));
            Assert.Equal([SnapshotStartReason.Initial], copy.Starts);
            Assert.NotNull(copy.End);
            Assert.Equal(copy.End.RecordCount, copy.Records.Count);
            Assert.True(copy.Chunks > 3, $"only {copy.Chunks} chunks");

            var person = copy.Records.Values.Select(c => c.Person).Where(p => p is not null && p.Meta.SourceSystem.Length > 0)
                .OrderBy(p => p.Meta.SourceSystem == "county-370611" ? 0 : 1).First();
            var submitted = await FeedCalls.SubmitAppliedAsync(
                new ExchangeService.ExchangeServiceClient(scratch.Hub.Channel), person.Meta.SourceSystem,
                FeedCalls.Upsert(person, person.Meta.Version + 1, "client-follow-" + Guid.NewGuid().ToString("N")));
            var sequence = submitted.Results[0].Sequence;
            while (!copy.Sequences.Contains(sequence))
            {
                await Task.Delay(100, cancel.Token);
            }

            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));

            var (all, _) = await FeedCalls.PullAllAsync(client.Exchange, "", Zhifu);
            var expected = FeedCalls.Apply([], all);
            Assert.Equal(
                expected.OrderBy(e => e.Key).Select(e => $"{e.Key} v{e.Value}"),
                copy.Records.OrderBy(e => e.Key).Select(e => $"{e.Key} v{e.Value.EntityVersion}"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task ResyncRequired_Surfaces_WithoutRetrying_AndAnUnusableSnapshotTokenRestartsTheSnapshot()
    {
        await using var scratch = await ScratchHub.StartAsync(StoreKind.Sqlite);
        var directory = Directory.CreateTempSubdirectory("gridx-client-resync-").FullName;
        try
        {
            using var client = new GridExchangeClient(new GridExchangeClientOptions
            {
                Address = scratch.Hub.Address,
                BearerToken = TestPeers.TokenFor(TestPeers.Province),
            });
            var reconnects = new ConcurrentQueue<ReconnectEvent>();
            var options = new ChangeFeedConsumerOptions
            {
                Scope = Zhifu,
                HeartbeatInterval = TimeSpan.FromSeconds(1),
                OnReconnect = e => { reconnects.Enqueue(e); return ValueTask.CompletedTask; },
            };

            // A checkpoint holding a cursor of another hub database (another epoch).
            var foreign = new Domain.Feed.FeedCursor(new string('a', 32), 1).Encode();
            var checkpoints = new FileCheckpointStore(Path.Combine(directory, "consumer.checkpoint"));
            await checkpoints.SaveAsync(FeedCheckpoint.AtCursor(foreign), CancellationToken.None);
            var handled = 0;
            var e = await Assert.ThrowsAsync<ResyncRequiredException>(() => client.CreateConsumer(checkpoints, options)
                .RunAsync((_, _) => { handled++; return ValueTask.CompletedTask; }, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1)));
            Assert.Equal(foreign, e.Cursor);
            Assert.True(GridExchangeErrors.IsResyncRequired(e.RpcException!));
            Assert.Equal(0, handled);
            Assert.Empty(reconnects);
            Assert.Equal(foreign, (await checkpoints.LoadAsync(CancellationToken.None))!.Cursor);

            // The remedy: clear the checkpoint and start with a snapshot. A snapshot token the hub
            // cannot honour (here: not one of its own) starts the snapshot afresh.
            await checkpoints.SaveAsync(FeedCheckpoint.InSnapshot("not-a-token-of-this-hub", 5), CancellationToken.None);
            var copy = new CopyHandler();
            using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            var run = client.CreateConsumer(checkpoints, new ChangeFeedConsumerOptions { Scope = Zhifu, StartWithSnapshot = true, HeartbeatInterval = TimeSpan.FromSeconds(1) })
                .RunAsync(copy, cancel.Token);
            await copy.Heartbeat.Task.WaitAsync(TimeSpan.FromMinutes(1));
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));
            Assert.Equal([SnapshotStartReason.Restarted], copy.Starts);
            Assert.NotNull(copy.End);
            Assert.Equal(copy.End.RecordCount, copy.Records.Count);
            Assert.False((await checkpoints.LoadAsync(CancellationToken.None))!.SnapshotInProgress);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A consumer's copy of the scope: key → record, kept from snapshot chunks and changes.</summary>
    private sealed class CopyHandler : ChangeFeedHandler
    {
        public Dictionary<(EntityType, string), Change> Records { get; } = [];

        public ConcurrentDictionary<long, bool> SequenceSet { get; } = new();

        public ICollection<long> Sequences => SequenceSet.Keys;

        public List<SnapshotStartReason> Starts { get; } = [];

        public int Chunks { get; private set; }

        public int? FailAtChunk { get; set; }

        public SnapshotEnd? End { get; private set; }

        public TaskCompletionSource Heartbeat { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override ValueTask OnSnapshotStartingAsync(SnapshotStartReason reason, CancellationToken cancellationToken)
        {
            Starts.Add(reason);
            Records.Clear();
            return ValueTask.CompletedTask;
        }

        public override ValueTask OnSnapshotChunkAsync(SnapshotChunk chunk, CancellationToken cancellationToken)
        {
            if (Chunks + 1 == FailAtChunk)
            {
                throw new InvalidOperationException("the consumer process dies");
            }

            Chunks++;
            foreach (var record in chunk.Records)
            {
                Assert.True(Records.TryAdd((record.EntityType, record.EntityKey), record), $"record sent twice: {record.EntityKey}");
            }

            return ValueTask.CompletedTask;
        }

        public override ValueTask OnSnapshotEndAsync(SnapshotEnd end, CancellationToken cancellationToken)
        {
            End = end;
            return ValueTask.CompletedTask;
        }

        public override ValueTask OnChangeAsync(Change change, CancellationToken cancellationToken)
        {
            Assert.True(SequenceSet.TryAdd(change.Sequence, true), $"change {change.Sequence} handed over twice");
            if (change.Operation is ChangeOperation.Upsert or ChangeOperation.Enter)
            {
                Records[(change.EntityType, change.EntityKey)] = change;
            }
            else
            {
                Records.Remove((change.EntityType, change.EntityKey));
            }

            return ValueTask.CompletedTask;
        }

        public override ValueTask OnHeartbeatAsync(Heartbeat heartbeat, CancellationToken cancellationToken)
        {
            Heartbeat.TrySetResult();
            return ValueTask.CompletedTask;
        }
    }
}
