using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using GridExchange.Domain.Codes;
using GridExchange.Domain.Ingest;
using GridExchange.Domain.Lifecycle;
using GridExchange.Storage;
using GridExchange.V1;

namespace GridExchange.PeerSimulator.Source;

/// <summary>
/// Makes the county's everyday changes from its current records: residents moving to another
/// house (often in another grid of the county, which moves them between scopes at the hub) and
/// cases taking their next legal step. Each change is the record's next version, stamped now,
/// and passes the hub's <see cref="ChangeValidator"/>. Deterministic for a seed and a store.
/// </summary>
public sealed class ChangeGenerator
{
    private static readonly CaseAction[] Excluded = [CaseAction.Report, CaseAction.Escalate];

    private readonly CountySource _source;
    private readonly Random _random;
    private readonly TimeProvider _clock;
    private readonly List<string> _persons = [];
    private readonly List<(string Key, string GridCode, string Address)> _houses = [];
    private readonly List<string> _openCases = [];
    private string _idPrefix = "";
    private long _made;

    /// <summary>Creates a generator over <paramref name="source"/>'s store.</summary>
    public ChangeGenerator(CountySource source, int seed, TimeProvider clock)
    {
        _source = source ?? throw new ArgumentNullException(nameof(source));
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        _random = new Random(seed);
    }

    /// <summary>Changes made so far.</summary>
    public long Made => Interlocked.Read(ref _made);

    /// <summary>
    /// Reads the keys it picks from (persons, houses, open cases). The ids of its changes start
    /// with the store's epoch and the log head now: a later run starts from a higher head, so an
    /// id that was committed is never made again.
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var store = _source.Store;
        var prefix = RegionCode.TryParse(_source.RegionCode, out var county) ? county.Prefix : _source.RegionCode;
        await foreach (var record in ListAsync(store, EntityType.Person, prefix, cancellationToken))
        {
            _persons.Add(record.Key);
        }

        await foreach (var record in ListAsync(store, EntityType.House, prefix, cancellationToken))
        {
            var house = EntityRecords.Parse(record, House.Parser);
            _houses.Add((record.Key, house.GridCode, house.Address));
        }

        await foreach (var record in ListAsync(store, EntityType.Case, prefix, cancellationToken))
        {
            var item = EntityRecords.Parse(record, Case.Parser);
            if (CanProgress(item))
            {
                _openCases.Add(record.Key);
            }
        }

        var head = await store.GetFeedHeadAsync(cancellationToken);
        _idPrefix = string.Create(CultureInfo.InvariantCulture, $"gen-{_source.Epoch[..12]}-{head.LastSequence}-");
    }

    /// <summary>
    /// Makes up to <paramref name="count"/> changes, each to a different record, at the record's
    /// stored version + 1; fewer when there is nothing left to change.
    /// </summary>
    public async Task<IReadOnlyList<Change>> NextAsync(int count, CancellationToken cancellationToken)
    {
        if (_idPrefix.Length == 0)
        {
            throw new InvalidOperationException("Call InitializeAsync first.");
        }

        var changes = new List<Change>(count);
        var touched = new HashSet<string>(StringComparer.Ordinal);
        for (var attempt = 0; changes.Count < count && attempt < count * 4; attempt++)
        {
            var change = _random.NextDouble() < 0.7 || _openCases.Count == 0
                ? await MovePersonAsync(touched, cancellationToken)
                : await ProgressCaseAsync(touched, cancellationToken);
            if (change is not null)
            {
                change.SourceChangeId = _idPrefix + Interlocked.Increment(ref _made).ToString(CultureInfo.InvariantCulture);
                changes.Add(change);
            }
        }

        return changes;
    }

    // 迁居: the person moves into another house of the county; the managing grid follows the house.
    private async Task<Change?> MovePersonAsync(HashSet<string> touched, CancellationToken cancellationToken)
    {
        if (_persons.Count == 0 || _houses.Count < 2)
        {
            return null;
        }

        var key = _persons[_random.Next(_persons.Count)];
        var house = _houses[_random.Next(_houses.Count)];
        if (!touched.Add(key))
        {
            return null;
        }

        var record = await _source.Store.GetAsync(EntityType.Person, key, cancellationToken);
        if (record is null)
        {
            return null;
        }

        var person = EntityRecords.Parse(record, Person.Parser);
        if (person.HouseId == house.Key)
        {
            return null;
        }

        person.HouseId = house.Key;
        person.GridCode = house.GridCode;
        person.ResidenceAddress = house.Address;
        return Upsert(EntityType.Person, key, record.Version + 1, person.Meta, change => change.Person = person);
    }

    // The case's next step: a legal action from its state (escalation aside: it would change the
    // owning level, which the county's own workflow decides), by the actor of its last step.
    private async Task<Change?> ProgressCaseAsync(HashSet<string> touched, CancellationToken cancellationToken)
    {
        var index = _random.Next(_openCases.Count);
        var key = _openCases[index];
        if (!touched.Add(key))
        {
            return null;
        }

        var record = await _source.Store.GetAsync(EntityType.Case, key, cancellationToken);
        var item = record is null ? null : EntityRecords.Parse(record, Case.Parser);
        if (item is null || !CanProgress(item))
        {
            _openCases.RemoveAt(index);
            return null;
        }

        var moves = CaseTransitions.All.Where(m => m.From == item.State && !Excluded.Contains(m.Action)).OrderBy(m => m.Action).ToList();
        var (from, action, to) = moves[_random.Next(moves.Count)];
        var last = item.Steps[^1];
        var now = _clock.GetUtcNow();
        var lastAt = last.At?.ToDateTimeOffset() ?? now;
        var step = last.Clone();
        step.Seq = last.Seq + 1;
        step.Action = action;
        step.FromState = from;
        step.ToState = to;
        step.SummarizedStepCount = 0;
        step.At = Timestamp.FromDateTimeOffset(now > lastAt ? now : lastAt.AddSeconds(1));
        step.Assignee = action == CaseAction.Dispatch ? "街道综合执法中队" : "";
        step.Comment = action switch
        {
            CaseAction.Accept => "已受理",
            CaseAction.Void => "经核实不属实，作废",
            CaseAction.ResolveOnSpot => "现场调解完毕",
            CaseAction.Register => "已立案",
            CaseAction.Dispatch => "派遣至责任单位",
            CaseAction.SignFor => "已签收，处置中",
            CaseAction.Return => "不属本单位职责，退回",
            CaseAction.SubmitResult => "处置完毕，提交结果",
            CaseAction.VerifyPass => "核查通过，结案",
            CaseAction.VerifyFail => "核查未通过，重新处置",
            CaseAction.Rate => "群众评价",
            _ => "",
        };
        item.Steps.Add(step);
        item.State = to;
        if (action == CaseAction.Rate)
        {
            item.Rating = 3 + _random.Next(3);
        }

        if (!CanProgress(item))
        {
            _openCases.RemoveAt(index);
        }

        return Upsert(EntityType.Case, key, record!.Version + 1, item.Meta, change => change.CaseRecord = item);
    }

    // Room for another step under the 200-step cap, and a move out of the state other than escalation.
    private static bool CanProgress(Case item) =>
        item.Steps.Count is > 0 and < 199
        && CaseTransitions.All.Any(m => m.From == item.State && !Excluded.Contains(m.Action));

    private Change Upsert(EntityType type, string key, long version, EntityMeta meta, Action<Change> setPayload)
    {
        meta.Version = version;
        meta.UpdatedAt = Timestamp.FromDateTimeOffset(_clock.GetUtcNow());
        var change = new Change { EntityType = type, EntityKey = key, Operation = ChangeOperation.Upsert, EntityVersion = version };
        setPayload(change);
        return change;
    }

    private static async IAsyncEnumerable<EntityRecord> ListAsync(IHubStore store, EntityType type, string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        EntityPosition? after = null;
        while (true)
        {
            var page = await store.ListInScopeAsync(type, prefix, after, 1000, cancellationToken);
            foreach (var record in page)
            {
                yield return record;
            }

            if (page.Count < 1000)
            {
                yield break;
            }

            after = new EntityPosition(page[^1].ScopeCode, page[^1].Key);
        }
    }
}
