using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using GridExchange.Seeds.Randomness;
using GridExchange.V1;

namespace GridExchange.Seeds.Generation;

internal sealed partial class GridGenerator
{
    private static readonly ServiceRequestState[] AllServiceStates =
    [
        ServiceRequestState.Requested, ServiceRequestState.Accepted, ServiceRequestState.MaterialsCollected,
        ServiceRequestState.Submitted, ServiceRequestState.NeedsSupplement, ServiceRequestState.Completed,
        ServiceRequestState.Delivered, ServiceRequestState.Reviewed, ServiceRequestState.Declined, ServiceRequestState.Withdrawn,
    ];

    private static readonly WeightedTable<ServiceRequestState> ServiceStates = new(
    [
        (ServiceRequestState.Requested, 5), (ServiceRequestState.Accepted, 5), (ServiceRequestState.MaterialsCollected, 6),
        (ServiceRequestState.Submitted, 8), (ServiceRequestState.NeedsSupplement, 4), (ServiceRequestState.Completed, 6),
        (ServiceRequestState.Delivered, 8), (ServiceRequestState.Reviewed, 50), (ServiceRequestState.Declined, 4),
        (ServiceRequestState.Withdrawn, 4),
    ]);

    private IEnumerable<ServiceRequest> GenerateServiceRequests(SeedRandom random)
    {
        if (_persons.Count == 0)
        {
            yield break;
        }

        var count = _context.Profile.ServiceRequests(random);
        for (var i = 0; i < count; i++)
        {
            yield return BuildServiceRequest(random);
        }
    }

    private ServiceRequest BuildServiceRequest(SeedRandom random)
    {
        var index = _county.ServiceRequestCount;
        var id = _county.NextServiceRequestId();
        var target = index < AllServiceStates.Length ? AllServiceStates[index] : ServiceStates.Pick(random);
        var item = random.Pick(Catalogs.ServiceItems);
        var adults = _persons.Where(p => Age(p) >= 18).ToList();
        var resident = adults.Count > 0 ? random.Pick(adults) : random.Pick(_persons);
        var worker = random.Pick(_workers);
        var department = _county.County.Name + "政务服务中心";

        var steps = new List<(ServiceRequestAction Action, ServiceRequestState To, int Minutes)>();
        var state = ServiceRequestState.Unspecified;

        bool Go(ServiceRequestAction action, ServiceRequestState to, int minutes)
        {
            steps.Add((action, to, minutes));
            state = to;
            return to == target;
        }

        var done = Go(ServiceRequestAction.Request, ServiceRequestState.Requested, 0);
        if (!done && target is ServiceRequestState.Declined or ServiceRequestState.Withdrawn)
        {
            if (random.Chance(0.5))
            {
                Go(ServiceRequestAction.Accept, ServiceRequestState.Accepted, random.Between(10, 1440));
                if (target == ServiceRequestState.Withdrawn && random.Chance(0.5))
                {
                    Go(ServiceRequestAction.CollectMaterials, ServiceRequestState.MaterialsCollected, random.Between(60, 4320));
                }
            }

            done = target == ServiceRequestState.Declined
                ? Go(ServiceRequestAction.Decline, ServiceRequestState.Declined, random.Between(30, 2880))
                : Go(ServiceRequestAction.Withdraw, ServiceRequestState.Withdrawn, random.Between(60, 4320));
        }

        done = done || Go(ServiceRequestAction.Accept, ServiceRequestState.Accepted, random.Between(10, 1440));
        done = done || Go(ServiceRequestAction.CollectMaterials, ServiceRequestState.MaterialsCollected, random.Between(60, 4320));
        done = done || Go(ServiceRequestAction.Submit, ServiceRequestState.Submitted, random.Between(60, 2880));
        if (!done && (target == ServiceRequestState.NeedsSupplement || random.Chance(0.15)))
        {
            done = Go(ServiceRequestAction.RequestSupplement, ServiceRequestState.NeedsSupplement, random.Between(1440, 7200))
                || Go(ServiceRequestAction.CollectMaterials, ServiceRequestState.MaterialsCollected, random.Between(60, 4320))
                || Go(ServiceRequestAction.Submit, ServiceRequestState.Submitted, random.Between(60, 2880));
        }

        done = done || Go(ServiceRequestAction.Complete, ServiceRequestState.Completed, random.Between(item.Days * 720, item.Days * 1800));
        done = done || Go(ServiceRequestAction.Deliver, ServiceRequestState.Delivered, random.Between(60, 4320));
        _ = done || Go(ServiceRequestAction.Review, ServiceRequestState.Reviewed, random.Between(1440, 10080));

        var total = steps.Sum(s => (long)s.Minutes);
        long slack = state is ServiceRequestState.Reviewed or ServiceRequestState.Declined or ServiceRequestState.Withdrawn
            ? random.Between(0, 100 * 1440)
            : random.Between(0, 5 * 1440);
        var at = _context.AsOfInstant.AddMinutes(-(total + slack + random.Between(1, 600)));
        var request = new ServiceRequest
        {
            Meta = Meta(id),
            RequestNumber = string.Create(CultureInfo.InvariantCulture, $"DB{_county.County.Code6}{at.ToOffset(SeedTime.Offset).Year}{index + 1:D6}"),
            GridCode = _grid.Code15,
            ResidentPersonId = resident.Meta.Id,
            ResidentName = resident.Name,
            ResidentContact = resident.Contact,
            CategoryCode = item.Category,
            ItemCode = item.Code,
            ItemName = item.Name,
            GridWorkerNumber = worker.Number,
            State = state,
            Description = "申请网格员代办" + item.Name,
            RequestedAt = Timestamp.FromDateTimeOffset(at),
        };

        var previous = ServiceRequestState.Unspecified;
        foreach (var (action, to, minutes) in steps)
        {
            at = at.AddMinutes(minutes);
            var (actorId, actorName) = action switch
            {
                ServiceRequestAction.Request or ServiceRequestAction.Withdraw => (resident.Meta.Id, resident.Name),
                ServiceRequestAction.RequestSupplement or ServiceRequestAction.Complete => ("dept-" + _county.County.Code6, department),
                _ => (worker.Number, worker.Name),
            };
            request.Steps.Add(new ServiceRequestStep
            {
                Seq = request.Steps.Count + 1,
                Action = action,
                FromState = previous,
                ToState = to,
                ActorId = actorId,
                ActorName = actorName,
                Comment = action switch
                {
                    ServiceRequestAction.Accept => "签订代办委托书",
                    ServiceRequestAction.RequestSupplement => "材料不全，请补充户口簿复印件",
                    ServiceRequestAction.Decline => "不属于代办事项目录",
                    ServiceRequestAction.Withdraw => "本人自行办理，撤回申请",
                    _ => string.Empty,
                },
                At = Timestamp.FromDateTimeOffset(at),
            });
            previous = to;
            switch (action)
            {
                case ServiceRequestAction.Accept:
                    request.Deadline = Timestamp.FromDateTimeOffset(SeedTime.AddWorkingDays(at, item.Days));
                    break;
                case ServiceRequestAction.Complete:
                    request.CompletedAt = Timestamp.FromDateTimeOffset(at);
                    break;
                case ServiceRequestAction.Deliver:
                    request.DeliveredAt = Timestamp.FromDateTimeOffset(at);
                    break;
                case ServiceRequestAction.Review:
                    request.Rating = Ratings.Pick(random);
                    break;
            }
        }

        return request;
    }
}
