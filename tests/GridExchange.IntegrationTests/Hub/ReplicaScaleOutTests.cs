using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.Storage.PostgreSql;
using GridExchange.V1;
using Npgsql;
using Xunit.Abstractions;

namespace GridExchange.IntegrationTests.Hub;

/// <summary>
/// Scale-out: several hub processes (the built hub, as an operator runs it) on one PostgreSQL
/// database, writers and consumers spread over them, and one replica killed with SIGKILL in
/// the middle. A writer whose replica died re-sends its batch under the same request id to
/// another replica; a consumer whose replica died resumes from its last cursor on another.
/// At the end every consumer has seen the whole log once, in order, and every submitted
/// change is in the log once: no gap, no duplicate.
/// </summary>
public sealed class ReplicaScaleOutTests(ITestOutputHelper output)
{
    private static readonly string[] Counties = ["370602", "370611", "370612"];
    private const int BatchesPerWriter = 20;
    private const int BatchSize = 40;

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Replicas_OneKilledMidRun_WritersResendAndConsumersResume_NoGapNoDuplicate(int replicaCount)
    {
        var watch = Stopwatch.StartNew();
        var database = await PostgresServer.NewDatabaseAsync("scaleout");
        var settings = new Dictionary<string, string?>
        {
            // Hangfire's workers have nothing to do here; they would only take CPU from the replicas.
            ["GridExchange:RunHangfireServer"] = "false",
            ["GridExchange:RateLimitPerSecond"] = "0",
            ["GridExchange:RequireDeadlines"] = "false",
        };
        // The first replica migrates the database; the others start together (migration is locked anyway).
        var first = await HubProcess.StartAsync(database, settings, registerTestPeers: true);
        var hubs = new List<HubProcess> { first };
        try
        {
            hubs.AddRange(await Task.WhenAll(Enumerable.Range(1, replicaCount - 1)
                .Select(_ => HubProcess.StartAsync(database, settings, registerTestPeers: false))));
            await RegisterCountySourcesAsync(database);
            output.WriteLine($"{replicaCount} replicas listening after {watch.Elapsed.TotalSeconds:0.0} s: " +
                string.Join(", ", hubs.Select(h => $"pid {h.ProcessId} at {h.Address}")));
            await RunAsync([.. hubs], database);
        }
        finally
        {
            foreach (var hub in hubs)
            {
                await hub.DisposeAsync();
            }
        }

        output.WriteLine($"Whole test {watch.Elapsed.TotalSeconds:0.0} s.");
    }

    private async Task RunAsync(HubProcess[] hubs, string database)
    {
        var n = hubs.Length;
        var victim = hubs[n - 1];
        var batches = await PrepareBatchesAsync();
        var total = batches.Sum(b => b.Sum(r => r.Changes.Count));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var writersDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finalHead = 0L;
        bool Finished(long last) => writersDone.Task.IsCompleted && last == Volatile.Read(ref finalHead);

        var killedAt = 0L;
        var resent = new ConcurrentBag<(string Source, string RequestId, bool InFlight, SubmitChangesResponse Answer)>();
        var started = Stopwatch.GetTimestamp();

        // Writers: one per county source, batch k through replica (writer + k) mod n.
        var writers = Enumerable.Range(0, Counties.Length).Select(w => Task.Run(async () =>
        {
            for (var k = 0; k < batches[w].Count; k++)
            {
                var request = batches[w][k];
                var target = (w + k) % n;
                var failedOver = false;
                var inFlight = false;
                while (true)
                {
                    var sent = Stopwatch.GetTimestamp();
                    try
                    {
                        var answer = await hubs[target].Exchange.SubmitChangesAsync(request, deadline: Calls.Deadline(), cancellationToken: stop.Token);
                        // Applied now, or (the first attempt committed before the replica died) the first answer again.
                        Assert.True(answer.AppliedCount + answer.DuplicateCount == request.Changes.Count, answer.ToString());
                        if (failedOver)
                        {
                            resent.Add((request.SourceSystem, request.RequestId, inFlight, answer));
                        }

                        break;
                    }
                    catch (RpcException)
                    {
                        if (!await DiedAsync(hubs[target]))
                        {
                            throw;
                        }

                        inFlight |= sent < Volatile.Read(ref killedAt);
                        failedOver = true;
                        target = (target + 1) % n;
                    }
                }

                await Task.Delay(25, stop.Token);
            }
        }, stop.Token)).ToList();
        _ = Task.WhenAll(writers).ContinueWith(async t =>
        {
            try
            {
                if (t.IsCompletedSuccessfully)
                {
                    Volatile.Write(ref finalHead, await ScalarAsync(database, "SELECT coalesce(max(seq), 0) FROM change_log"));
                }
            }
            finally
            {
                writersDone.TrySetResult();
            }
        }, TaskScheduler.Default).Unwrap();

        // Consumers: a PullChanges pager starting on each replica, and SubscribeChanges followers
        // starting on the replica that will die and on the first one.
        var consumers = new List<Consumer>();
        for (var i = 0; i < n; i++)
        {
            consumers.Add(new Consumer($"pull@{i}", i));
        }

        consumers.Add(new Consumer($"subscribe@{n - 1}", n - 1));
        consumers.Add(new Consumer("subscribe@0", 0));
        var reading = consumers.Select(c => Task.Run(() => c.Name.StartsWith("pull", StringComparison.Ordinal)
            ? PullAsync(c, hubs, Finished, stop.Token)
            : SubscribeAsync(c, hubs, Finished, stop.Token), stop.Token)).ToList();

        try
        {
            await KillMidRunAndCheckAsync();
        }
        finally
        {
            // On a failure, nothing keeps running past the test.
            await stop.CancelAsync();
        }

        async Task KillMidRunAndCheckAsync()
        {
            // Kill the last replica once a good part of the load is in, with everyone still running.
            while (await ScalarAsync(database, "SELECT count(*) FROM change_log") < total * 2 / 5)
            {
                Assert.False(writersDone.Task.IsCompleted, "The writers finished before the kill.");
                await Task.Delay(20, stop.Token);
            }

            var headAtKill = await ScalarAsync(database, "SELECT coalesce(max(seq), 0) FROM change_log");
            Volatile.Write(ref killedAt, Stopwatch.GetTimestamp());
            Assert.Equal(137, await victim.KillAsync());
            output.WriteLine($"Killed replica {n - 1} (pid {victim.ProcessId}) at head {headAtKill} of {total}, " +
                $"{Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s into the run.");

            await Task.WhenAll(writers);
            var written = Stopwatch.GetElapsedTime(started);
            await writersDone.Task;
            await Task.WhenAll(reading);
            var read = Stopwatch.GetElapsedTime(started);
            var head = Volatile.Read(ref finalHead);

            output.WriteLine($"{total} changes in {Counties.Length * BatchesPerWriter} batches written in {written.TotalSeconds:0.0} s " +
                $"({total / written.TotalSeconds:N0} changes/s through {n} replicas); {resent.Count} batches re-sent to another replica " +
                $"({resent.Count(r => r.InFlight)} in flight at the kill: {string.Join(", ", resent.Where(r => r.InFlight).Select(r => $"{r.RequestId} applied {r.Answer.AppliedCount} duplicate {r.Answer.DuplicateCount}"))}).");
            foreach (var c in consumers)
            {
                output.WriteLine($"  {c.Name}: {c.Sequences.Count} changes, {c.Calls} calls, failed over {c.FailOvers} times, ended on replica {c.Replica}.");
            }

            output.WriteLine($"All consumers at head {head} after {read.TotalSeconds:0.0} s " +
                $"({consumers.Sum(c => c.Sequences.Count) / read.TotalSeconds:N0} changes/s delivered in all).");

            // The log: no gap, no duplicate, each submitted change once.
            Assert.Equal(total, head);
            Assert.Equal(head, await ScalarAsync(database, "SELECT count(*) FROM change_log"));
            Assert.Equal(1, await ScalarAsync(database, "SELECT min(seq) FROM change_log"));
            var logged = await SourceChangesAsync(database);
            var submitted = batches.SelectMany(b => b).SelectMany(r => r.Changes.Select(c => (r.SourceSystem, c.SourceChangeId))).ToHashSet();
            Assert.Equal(total, submitted.Count);
            Assert.Empty(logged.Where(l => l.Value != 1).Select(l => $"{l.Key} logged {l.Value} times"));
            Assert.True(submitted.SetEquals(logged.Keys), "The log does not hold exactly the submitted changes.");

            // Every consumer: 1..head, each once, in order.
            var expected = Enumerable.Range(1, (int)head).Select(s => (long)s).ToList();
            foreach (var c in consumers)
            {
                Assert.True(expected.SequenceEqual(c.Sequences), $"{c.Name} did not see 1..{head} once each in order ({c.Sequences.Count} changes).");
            }

            // Those that started on the killed replica carried on elsewhere.
            Assert.All(consumers.Where(c => c.Start == n - 1), c => Assert.True(c.FailOvers >= 1 && c.Replica != n - 1, $"{c.Name} did not fail over."));
            Assert.All(hubs, h => Assert.Empty(h.Errors));
        }
    }

    private static async Task PullAsync(Consumer consumer, HubProcess[] hubs, Func<long, bool> finished, CancellationToken cancellationToken)
    {
        var cursor = "";
        while (true)
        {
            PullChangesResponse page;
            try
            {
                consumer.Calls++;
                page = await hubs[consumer.Replica].Exchange.PullChangesAsync(
                    new PullChangesRequest { Cursor = cursor, PageSize = 200 }, deadline: Calls.Deadline(), cancellationToken: cancellationToken);
            }
            catch (RpcException)
            {
                if (!await DiedAsync(hubs[consumer.Replica]))
                {
                    throw;
                }

                consumer.FailOver(hubs.Length);
                continue;
            }

            consumer.Sequences.AddRange(page.Changes.Select(c => c.Sequence));
            cursor = page.NextCursor;
            if (page.CaughtUp)
            {
                if (finished(consumer.Sequences.Count > 0 ? consumer.Sequences[^1] : 0))
                {
                    return;
                }

                await Task.Delay(20, cancellationToken);
            }
        }
    }

    private static async Task SubscribeAsync(Consumer consumer, HubProcess[] hubs, Func<long, bool> finished, CancellationToken cancellationToken)
    {
        var cursor = "";
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        while (true)
        {
            try
            {
                consumer.Calls++;
                using var call = hubs[consumer.Replica].Exchange.SubscribeChanges(new SubscribeChangesRequest
                {
                    Cursor = cursor,
                    HeartbeatInterval = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)),
                }, cancellationToken: done.Token);
                while (await call.ResponseStream.MoveNext(done.Token))
                {
                    var item = call.ResponseStream.Current;
                    if (item.Change is { } change)
                    {
                        consumer.Sequences.Add(change.Sequence);
                        cursor = change.Cursor;
                    }
                    else
                    {
                        cursor = item.Heartbeat.Cursor;
                    }

                    if (finished(consumer.Sequences.Count > 0 ? consumer.Sequences[^1] : 0))
                    {
                        return;
                    }
                }

                Assert.Fail($"{consumer.Name}: the stream ended without an error.");
            }
            catch (RpcException)
            {
                if (!await DiedAsync(hubs[consumer.Replica]))
                {
                    throw;
                }

                consumer.FailOver(hubs.Length);
            }
        }
    }

    // Whether the replica has died (or dies within a few seconds: the client may see its sockets
    // close before this process has reaped it). A failure from a live replica is not excused.
    private static async Task<bool> DiedAsync(HubProcess hub)
    {
        for (var i = 0; i < 100 && !hub.HasExited; i++)
        {
            await Task.Delay(50);
        }

        return hub.HasExited;
    }

    // Per county: BatchesPerWriter batches of BatchSize sample persons of that county (each a new
    // record on this empty hub), each with its request id and source change ids.
    private static async Task<List<List<SubmitChangesRequest>>> PrepareBatchesAsync()
    {
        var truth = await SampleTruth.GetAsync();
        var run = Guid.NewGuid().ToString("N")[..8];
        return [.. Counties.Select(county =>
        {
            var persons = truth.Persons.Values.Where(p => p.GridCode.StartsWith(county, StringComparison.Ordinal))
                .OrderBy(p => p.Meta.Id, StringComparer.Ordinal).Take(BatchesPerWriter * BatchSize).ToList();
            Assert.Equal(BatchesPerWriter * BatchSize, persons.Count);
            return persons.Chunk(BatchSize).Select((chunk, k) => new SubmitChangesRequest
            {
                RequestId = $"scale-{run}-{county}-{k:D3}",
                SourceSystem = SourceOf(county),
                SourceCheckpoint = $"offset-{k}",
                Changes =
                {
                    chunk.Select((person, i) => new Change
                    {
                        EntityType = EntityType.Person,
                        EntityKey = person.Meta.Id,
                        Operation = ChangeOperation.Upsert,
                        EntityVersion = person.Meta.Version,
                        SourceChangeId = $"scale-{run}-{county}-{k:D3}-{i:D3}",
                        Person = person,
                    }),
                },
            }).ToList();
        })];
    }

    private static string SourceOf(string county) => $"county-{county}";

    // The county systems as sources (their tokens: TestPeers), registered in the shared database.
    private static async Task RegisterCountySourcesAsync(string database)
    {
        await using var store = new PostgresHubStore(database, TestKeys.Protection);
        foreach (var county in Counties)
        {
            await store.UpsertPeerAsync(new Peer
            {
                Id = SourceOf(county),
                Name = $"County system {county}",
                Level = RegionLevel.County,
                RegionCode = county + "000000",
                Roles = { PeerRole.Source },
                DataClasses = { DataClass.S1, DataClass.S2, DataClass.S3, DataClass.S4 },
                Enabled = true,
            }, CancellationToken.None);
            await TestPeers.IssueAsync(store, SourceOf(county), CancellationToken.None);
        }
    }

    private static async Task<Dictionary<(string, string), long>> SourceChangesAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT source_system, source_change_id, count(*) FROM change_log GROUP BY source_system, source_change_id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var logged = new Dictionary<(string, string), long>();
        while (await reader.ReadAsync())
        {
            logged[(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
        }

        return logged;
    }

    private static async Task<long> ScalarAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    // One consumer: where it reads now, and every sequence it was given.
    private sealed class Consumer(string name, int start)
    {
        public string Name { get; } = name;

        public int Start { get; } = start;

        public int Replica { get; private set; } = start;

        public int FailOvers { get; private set; }

        public int Calls { get; set; }

        public List<long> Sequences { get; } = [];

        public void FailOver(int replicas)
        {
            Replica = (Replica + 1) % replicas;
            FailOvers++;
        }
    }
}
