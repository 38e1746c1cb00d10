using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using GridExchange.Domain.Ingest;
using GridExchange.Hub.Startup;
using GridExchange.Seeds;
using GridExchange.Storage;

namespace GridExchange.Benchmarks.Scale;

/// <summary>
/// Reads the seed files (<see cref="SeedReader"/>: gzip NDJSON, a line at a time), keeps the
/// <see cref="GridSample"/>, validates each change as SubmitChanges does
/// (<see cref="SampleLoader.Validate"/>) and hands SubmitChanges-sized batches to the loader
/// through a bounded channel. Parsing and validation are not part of the ingest ratio, so
/// they run on another core ahead of the store; the bound keeps at most a few batches in
/// memory whatever the city's size. Their cost is timed here and printed apart.
/// </summary>
internal sealed class SeedBatchProducer
{
    /// <summary>Batches prepared ahead of the loader: enough to cover a slow parse, small in memory (≈ 2 MB each).</summary>
    private const int Ahead = 8;

    private readonly CitySeeds _seeds;
    private readonly GridSample _sample;
    private readonly Channel<IngestBatch> _channel = Channel.CreateBounded<IngestBatch>(
        new BoundedChannelOptions(Ahead) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private long _parseTicks;
    private long _validateTicks;

    public SeedBatchProducer(CitySeeds seeds, GridSample sample)
    {
        _seeds = seeds;
        _sample = sample;
    }

    /// <summary>The batches, in file order (regions first, then counties).</summary>
    public ChannelReader<IngestBatch> Batches => _channel.Reader;

    /// <summary>Time spent reading and parsing the seed files (gunzip + JSON; skipped lines are read, not parsed).</summary>
    public TimeSpan ParseTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _parseTicks));

    /// <summary>Time spent in <see cref="ChangeValidator.Validate"/>.</summary>
    public TimeSpan ValidateTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _validateTicks));

    /// <summary>Changes parsed from the files (lines the sample skips unparsed not counted).</summary>
    public long Read { get; private set; }

    /// <summary>Starts producing on the thread pool; the channel completes (with the error, if any) when done.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => Task.Run(async () =>
    {
        try
        {
            foreach (var file in _seeds.Manifest.Files)
            {
                await ProduceAsync(file, cancellationToken);
            }

            _channel.Writer.Complete();
        }
        catch (Exception e)
        {
            _channel.Writer.Complete(e);
            throw;
        }
    }, cancellationToken);

    private async Task ProduceAsync(SeedFile file, CancellationToken cancellationToken)
    {
        var jurisdiction = new SourceJurisdiction(file.SourceSystem, file.RegionCode);
        var batch = new List<ValidChange>(BenchmarkOptions.BatchSize);
        var number = 0;
        await using var changes = SeedReader.ReadAsync(Path.Combine(_seeds.Directory, file.Name), _sample.KeepsLine, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            var started = Stopwatch.GetTimestamp();
            var more = await changes.MoveNextAsync();
            var parsed = Stopwatch.GetTimestamp();
            Interlocked.Add(ref _parseTicks, parsed - started);
            if (!more)
            {
                break;
            }

            Read++;
            if (!_sample.Keeps(changes.Current))
            {
                continue;
            }

            batch.Add(SampleLoader.Validate(file, jurisdiction, changes.Current, batch.Count));
            Interlocked.Add(ref _validateTicks, Stopwatch.GetTimestamp() - parsed);
            if (batch.Count == BenchmarkOptions.BatchSize)
            {
                await _channel.Writer.WriteAsync(ToIngestBatch(file, ++number, batch), cancellationToken);
                batch = new List<ValidChange>(BenchmarkOptions.BatchSize);
            }
        }

        if (batch.Count > 0)
        {
            await _channel.Writer.WriteAsync(ToIngestBatch(file, ++number, batch), cancellationToken);
        }
    }

    /// <summary>
    /// The store's input as SubmitChanges builds it: one request per batch with its id, a
    /// request hash and a source checkpoint, answered with a full SubmitChangesResponse.
    /// </summary>
    public static IngestBatch ToIngestBatch(string source, string requestId, IReadOnlyList<ValidChange> changes) =>
        new(source, requestId, SHA256.HashData(Encoding.UTF8.GetBytes(requestId)), "checkpoint-" + requestId, changes, Workload.Batches.EncodeAnswer);

    private static IngestBatch ToIngestBatch(SeedFile file, int number, IReadOnlyList<ValidChange> changes) =>
        ToIngestBatch(file.SourceSystem, $"scale-{file.Name}-{number:D6}", changes);
}
