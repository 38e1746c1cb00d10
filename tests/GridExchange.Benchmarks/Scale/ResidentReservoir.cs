using Google.Protobuf;
using GridExchange.Domain.Ingest;
using GridExchange.Hub.Startup;
using GridExchange.Storage;
using GridExchange.V1;

namespace GridExchange.Benchmarks.Scale;

/// <summary>
/// A uniform sample (reservoir sampling, Algorithm R) of the residents loaded so far, from
/// which the "fresh changes" are made: new versions of existing residents, a tenth of them
/// moved to another grid of their county. Offered each batch after the store committed it, so
/// every sampled resident is in the hub. Residents are kept as serialised bytes (≈ 1 KB each):
/// 100,000 of them are ≈ 100 MB, bounded whatever the city's size, and dropped before the
/// export's memory is measured.
/// </summary>
internal sealed class ResidentReservoir(int capacity)
{
    private readonly List<Entry> _entries = new(capacity);
    private readonly Random _random = new(42);
    private long _seen;
    private int _round;

    /// <summary>Whether the sample holds as many residents as it was sized for.</summary>
    public bool IsFull => _entries.Count >= capacity;

    /// <summary>Offers the persons of a committed batch.</summary>
    public void Offer(IReadOnlyList<ValidChange> committed)
    {
        foreach (var valid in committed)
        {
            if (valid.Change.PayloadCase != Change.PayloadOneofCase.Person)
            {
                continue;
            }

            _seen++;
            if (_entries.Count < capacity)
            {
                _entries.Add(new Entry(valid.Change.ToByteArray()));
            }
            else if (_random.NextInt64(_seen) is var slot && slot < capacity)
            {
                _entries[(int)slot] = new Entry(valid.Change.ToByteArray());
            }
        }
    }

    /// <summary>
    /// One new change per sampled resident (<paramref name="count"/> of them at most), validated
    /// as SubmitChanges does and grouped into batches of 1,000 per county (a batch has one
    /// source), counties taking turns as their systems would.
    /// </summary>
    public List<IngestBatch> FreshBatches(int count)
    {
        _round++;
        var chosen = _entries.Take(count).ToList();
        var gridsByCounty = chosen.Select(e => Change.Parser.ParseFrom(e.Bytes).RegionCode)
            .GroupBy(g => g[..6]).ToDictionary(g => g.Key, g => g.Distinct().ToArray());
        var byCounty = new Dictionary<string, List<ValidChange>>();
        var index = 0;
        foreach (var entry in chosen)
        {
            var change = Change.Parser.ParseFrom(entry.Bytes);
            entry.Version++;
            change.EntityVersion = entry.Version;
            change.Person.Meta.Version = entry.Version;
            change.Person.Meta.UpdatedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(
                change.Person.Meta.UpdatedAt.ToDateTimeOffset().AddDays(entry.Version));
            change.SourceChangeId = $"scale-fresh-{_round}-{++index:D8}";
            var county = change.RegionCode[..6];
            if (_random.Next(10) == 0)
            {
                // A move: another grid of the same county, one a sampled resident lives in.
                var grids = gridsByCounty[county];
                change.Person.GridCode = grids[_random.Next(grids.Length)];
                change.RegionCode = change.Person.GridCode;
            }

            var file = new Seeds.SeedFile { Name = "fresh", SourceSystem = change.SourceSystem, RegionCode = county + "000000" };
            var jurisdiction = new SourceJurisdiction(file.SourceSystem, file.RegionCode);
            var list = byCounty.TryGetValue(county, out var existing) ? existing : byCounty[county] = [];
            list.Add(SampleLoader.Validate(file, jurisdiction, change, list.Count % BenchmarkOptions.BatchSize));
        }

        var queues = byCounty.Select(c => new Queue<ValidChange[]>(c.Value.Chunk(BenchmarkOptions.BatchSize))).ToList();
        var batches = new List<IngestBatch>();
        while (queues.Any(q => q.Count > 0))
        {
            foreach (var queue in queues.Where(q => q.Count > 0))
            {
                var changes = queue.Dequeue();
                batches.Add(SeedBatchProducer.ToIngestBatch(changes[0].Change.SourceSystem, $"scale-fresh-{_round}-{batches.Count:D6}", changes));
            }
        }

        return batches;
    }

    /// <summary>Forgets the sample (before memory is measured).</summary>
    public void Clear() => _entries.Clear();

    private sealed class Entry(byte[] bytes)
    {
        public byte[] Bytes { get; } = bytes;

        public long Version { get; set; } = 1;
    }
}
