using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using GridExchange.Seeds.Names;
using GridExchange.Seeds.Randomness;
using GridExchange.V1;

namespace GridExchange.Seeds.Generation;

internal sealed partial class GridGenerator
{
    private static readonly WeightedTable<(string Code, string Name)> Categories =
        new(Catalogs.EventCategories.Select(c => ((c.Code, c.Name), c.Weight)));

    private static readonly WeightedTable<CaseSource> Sources = new(
        [(CaseSource.GridWorkerApp, 55), (CaseSource.Hotline12345, 25), (CaseSource.Video, 8), (CaseSource.WalkIn, 10), (CaseSource.Other, 2)]);

    private static readonly RegionLevel[] Levels = [RegionLevel.Grid, RegionLevel.Village, RegionLevel.Township, RegionLevel.County];

    private static readonly WeightedTable<int> Ratings = new([(5, 50), (4, 30), (3, 12), (2, 5), (1, 3)]);

    private IEnumerable<Case> GenerateCases(SeedRandom random)
    {
        var count = _context.Profile.Cases(_grid.Dedicated is not null, random);
        for (var i = 0; i < count; i++)
        {
            yield return BuildCase(random);
        }
    }

    private Case BuildCase(SeedRandom random)
    {
        // The first ten cases of every county cover every state, so even a small sample has them all.
        var index = _county.CaseCount;
        var id = _county.NextCaseId();
        var target = index < CaseLifecycle.AllStates.Length ? CaseLifecycle.AllStates[index] : CaseLifecycle.PickFinalState(random);
        var (category, categoryName) = Categories.Pick(random);
        var grade = random.Next(1000) switch { < 2 => CaseGrade.Extraordinary, < 20 => CaseGrade.Major, < 80 => CaseGrade.Larger, _ => CaseGrade.General };
        var scale = random.Next(1000) switch { < 10 => EventScale.MajorGroup, < 100 => EventScale.GeneralGroup, _ => EventScale.Individual };
        var source = Sources.Pick(random);
        var reporter = random.Pick(_workers);
        var walk = CaseLifecycle.Walk(target, random);

        var total = walk.Sum(t => (long)t.Minutes);
        long slack = CaseLifecycle.IsOpen(target)
            ? (random.Chance(0.7) ? random.Between(0, 1440) : random.Between(1440, 12 * 1440))
            : random.Between(0, 110 * 1440);
        var reportedAt = _context.AsOfInstant.AddMinutes(-(total + slack + random.Between(1, 600)));
        var occurredAt = reportedAt.AddMinutes(-random.Between(10, 2880));

        var adults = _persons.Where(p => Age(p) >= 18).ToList();
        var parties = Parties(random, adults, source);
        var place = _grid.Dedicated is not null || _houses.Count == 0
            ? _county.FullName + _village.AddressStem + _village.Roads[0] + "附近"
            : random.Pick(_houses).Address;
        var record = new Case
        {
            Meta = Meta(id),
            CaseNumber = string.Create(CultureInfo.InvariantCulture, $"SJ{_county.County.Code6}{reportedAt.ToOffset(SeedTime.Offset).Year}{index + 1:D6}"),
            GridCode = _grid.Code15,
            // The generator models the 矛盾纠纷 table (GB/T 31000 表30): every case is a dispute
            // with a 5.56 category. Hazard and public-security cases are not generated yet.
            Kind = CaseKind.Dispute,
            Category = category,
            Title = _village.Name + categoryName,
            Description = Description(source, category, categoryName, parties, place),
            OccurredAt = Timestamp.FromDateTimeOffset(occurredAt),
            Place = place,
            Grade = grade,
            Scale = scale,
            Source = source,
            InvolvedCount = scale switch
            {
                EventScale.MajorGroup => random.Between(30, 200),
                EventScale.GeneralGroup => random.Between(5, 29),
                _ => Math.Max(parties.Count, 1),
            },
            Location = new GeoPoint
            {
                Longitude = (_grid.LonMicro + random.Between(-_grid.HalfWidthMicro, _grid.HalfWidthMicro)) / 1_000_000.0,
                Latitude = (_grid.LatMicro + random.Between(-_grid.HalfHeightMicro, _grid.HalfHeightMicro)) / 1_000_000.0,
            },
        };
        record.Parties.AddRange(parties);

        var at = reportedAt;
        DateTimeOffset? acceptedAt = null;
        DateTimeOffset? decidedAt = null;
        DateTimeOffset? resolvedAt = null;
        var previousLevel = 0;
        foreach (var transition in walk)
        {
            at = at.AddMinutes(transition.Minutes);
            if (transition.Action == CaseAction.Accept)
            {
                acceptedAt ??= at;
            }

            if (transition.Action is CaseAction.Accept or CaseAction.Void)
            {
                decidedAt ??= at;
            }

            if (transition.To == CaseState.Resolved)
            {
                resolvedAt ??= at;
            }

            record.Steps.Add(Step(random, record, transition, previousLevel, at, source, reporter, parties));
            previousLevel = transition.Level;
        }

        var last = walk[^1];
        record.State = last.To;
        record.OwningLevel = Levels[last.Level];
        record.OwningRegionCode = LevelCode(last.Level);
        record.AcceptDeadline = Timestamp.FromDateTimeOffset(SeedTime.AddWorkingDays(reportedAt, 1));
        record.HandleDeadline = Timestamp.FromDateTimeOffset(SeedTime.AddWorkingDays(acceptedAt ?? SeedTime.AddWorkingDays(reportedAt, 1), 5));
        record.OverdueLevel = Overdue(reportedAt, decidedAt, acceptedAt, resolvedAt, last.To);
        record.WarningColor = CaseLifecycle.Warning(grade, scale, record.OverdueLevel, category);
        record.Rating = last.To == CaseState.Evaluated ? Ratings.Pick(random) : 0;
        if (record.Rating > 0)
        {
            record.Steps[^1].Comment = string.Create(CultureInfo.InvariantCulture, $"评价{record.Rating}星");
        }

        return record;
    }

    /// <summary>Yellow or red card for a late acceptance (1 / 2 working days) or a late resolution (5 / 10 working days after acceptance); open cases are measured against the as-of instant.</summary>
    private OverdueLevel Overdue(DateTimeOffset reportedAt, DateTimeOffset? decidedAt, DateTimeOffset? acceptedAt, DateTimeOffset? resolvedAt, CaseState state)
    {
        if (state == CaseState.Voided)
        {
            return OverdueLevel.None;
        }

        var now = _context.AsOfInstant;
        var level = OverdueLevel.None;
        var decided = decidedAt ?? now;
        if (decided > SeedTime.AddWorkingDays(reportedAt, 2))
        {
            level = OverdueLevel.RedCard;
        }
        else if (decided > SeedTime.AddWorkingDays(reportedAt, 1))
        {
            level = OverdueLevel.YellowCard;
        }

        if (acceptedAt is { } accepted)
        {
            var end = resolvedAt ?? now;
            if (end > SeedTime.AddWorkingDays(accepted, 10))
            {
                level = OverdueLevel.RedCard;
            }
            else if (end > SeedTime.AddWorkingDays(accepted, 5) && level == OverdueLevel.None)
            {
                level = OverdueLevel.YellowCard;
            }
        }

        return level;
    }

    private List<CaseParty> Parties(SeedRandom random, List<Person> adults, CaseSource source)
    {
        var count = random.Next(100) switch { < 60 => 1, < 95 => 2, _ => 3 };
        var parties = new List<CaseParty>(count);
        for (var i = 0; i < count; i++)
        {
            var role = i switch
            {
                0 => count == 1 && source is CaseSource.Hotline12345 or CaseSource.WalkIn ? CasePartyRole.Reporter : CasePartyRole.Claimant,
                1 => CasePartyRole.Respondent,
                _ => CasePartyRole.Witness,
            };
            if (adults.Count > 0)
            {
                var person = random.Pick(adults);
                parties.Add(new CaseParty { Name = person.Name, CitizenId = person.CitizenId, Role = role, Contact = person.Contact, PersonId = person.Meta.Id });
            }
            else
            {
                parties.Add(new CaseParty { Name = PersonNames.FullName(random, random.Between(1960, 2000), random.Chance(0.5)), Role = role, Contact = Catalogs.Mobile(random) });
            }
        }

        return parties;
    }

    private static string Description(CaseSource source, string category, string categoryName, List<CaseParty> parties, string place)
    {
        var names = string.Join("、", parties.Select(p => p.Name));
        if (string.CompareOrdinal(category, "11") >= 0 && source != CaseSource.Hotline12345)
        {
            // Environment, traffic, urban management and the like: found on patrol, not a quarrel.
            return $"{(source == CaseSource.Video ? "视频巡查" : "网格员巡查")}发现{place}存在{categoryName}问题，{names}反映情况。";
        }

        return source switch
        {
            CaseSource.Hotline12345 => $"群众通过12345热线反映：{names}涉及{categoryName}问题，地点{place}，请求协调处理。",
            CaseSource.Video => $"视频巡查发现{place}存在{categoryName}问题，涉及{names}。",
            CaseSource.WalkIn => $"{names}到社区（村）来访，反映{categoryName}问题。",
            _ => $"网格员巡查走访发现：{names}因{categoryName}问题产生矛盾，地点{place}。",
        };
    }

    private CaseStep Step(SeedRandom random, Case record, CaseLifecycle.Transition transition, int previousLevel, DateTimeOffset at, CaseSource source, GridWorker reporter, List<CaseParty> parties)
    {
        var step = new CaseStep
        {
            Seq = record.Steps.Count + 1,
            Action = transition.Action,
            FromState = transition.Action == CaseAction.Report ? CaseState.Unspecified : transition.From,
            ToState = transition.To,
            Level = Levels[transition.Level],
            OwningRegionCode = LevelCode(transition.Level),
            At = Timestamp.FromDateTimeOffset(at),
        };
        string actorId;
        string actorName;
        switch (transition.Action)
        {
            case CaseAction.Report:
                (actorId, actorName) = source switch
                {
                    CaseSource.Hotline12345 => ("12345-" + _county.County.City.Code4, _county.County.City.Name + "12345政务服务便民热线"),
                    CaseSource.Video => ("video-" + _county.County.Code6, _county.County.Name + "视频监控平台"),
                    _ => (reporter.Number, reporter.Name),
                };
                step.Comment = "事件上报";
                break;
            case CaseAction.Dispatch:
                (actorId, actorName) = Office(previousLevel);
                step.Assignee = Unit(random).Name;
                step.Comment = "派遣至" + step.Assignee;
                break;
            case CaseAction.SignFor or CaseAction.Return or CaseAction.SubmitResult:
                var dispatched = record.Steps.LastOrDefault(s => s.Action == CaseAction.Dispatch)?.Assignee ?? Unit(random).Name;
                (actorId, actorName) = ("unit-" + _county.County.Code6 + "-" + UnitIndex(dispatched).ToString("D2", CultureInfo.InvariantCulture), dispatched);
                step.Comment = transition.Action switch
                {
                    CaseAction.SignFor => "已签收",
                    CaseAction.Return => "不属于本单位职责，退回重派",
                    _ => "已现场处置完毕，提交办理结果",
                };
                break;
            case CaseAction.Rate:
                var rater = parties[0];
                (actorId, actorName) = (rater.PersonId.Length > 0 ? rater.PersonId : "resident", rater.Name);
                break;
            default:
                (actorId, actorName) = Office(previousLevel);
                step.Comment = transition.Action switch
                {
                    CaseAction.Accept => "受理",
                    CaseAction.Void => random.Chance(0.5) ? "重复上报，作废" : "不属于受理范围，作废",
                    CaseAction.ResolveOnSpot => "网格员现场调解，已化解",
                    CaseAction.Register => "立案",
                    CaseAction.Escalate => "本级无法化解，提请上级处理",
                    CaseAction.VerifyPass => "现场核查通过，结案",
                    CaseAction.VerifyFail => "核查未通过，退回继续办理",
                    _ => string.Empty,
                };
                break;
        }

        step.ActorId = actorId;
        step.ActorName = actorName;
        return step;
    }

    /// <summary>Who acts for a level: the grid manager, the village committee, or the township / county 综治中心.</summary>
    private (string Id, string Name) Office(int level) => level switch
    {
        0 => (_workers[0].Number, _workers[0].Name),
        1 => (_village.Code12, _village.Name + (_village.IsCommunity ? "居委会" : "村委会")),
        2 => (_village.Township.Code12, _village.Township.Name + "综治中心"),
        _ => (_county.Plan.Code12, _county.County.Name + "综治中心"),
    };

    private string LevelCode(int level) => level switch
    {
        0 => _grid.Code15,
        1 => _village.Code12,
        2 => _village.Township.Code12,
        _ => _county.Plan.Code12,
    };

    private (int Index, string Name) Unit(SeedRandom random)
    {
        var index = random.Next(Catalogs.DispatchUnits.Length);
        var unit = Catalogs.DispatchUnits[index];
        return (index, unit.StartsWith('区') ? _county.County.Name + unit[1..] : _village.Township.Name + unit);
    }

    private int UnitIndex(string name)
    {
        for (var i = 0; i < Catalogs.DispatchUnits.Length; i++)
        {
            if (name.EndsWith(Catalogs.DispatchUnits[i].TrimStart('区'), StringComparison.Ordinal))
            {
                return i;
            }
        }

        return 99;
    }
}
