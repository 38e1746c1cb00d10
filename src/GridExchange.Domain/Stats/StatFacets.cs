using GridExchange.V1;

namespace GridExchange.Domain.Stats;

/// <summary>
/// The facet a record adds to in the region counters (<c>region_stats</c>): a small number that
/// says which figure of <c>StatsService</c> the record counts towards, kept in clear beside the
/// encrypted payload (<c>entities.stat_facet</c>). A facet is never personal data: it holds a
/// case's open/overdue flags and warning colour, or a worker's employment type, and nothing else.
/// </summary>
/// <remarks>
/// Regions and grids get their facet from their code in SQL (level; basic or dedicated), so
/// they need no column. Every write fills the column with the row (<see cref="Of"/>); 0 on a
/// worker or case means "not classified yet": a record an older hub wrote before it filled the
/// column, which the stats read classifies first (see the store's catch-up).
/// </remarks>
public static class StatFacets
{
    /// <summary>Not classified yet.</summary>
    public const short Unclassified = 0;

    /// <summary>Grid facet: a basic grid (serial 001-899).</summary>
    public const short BasicGrid = 1;

    /// <summary>Grid facet: a dedicated grid (serial 900-999).</summary>
    public const short DedicatedGrid = 2;

    /// <summary>
    /// Region facet kept by the counters themselves: a village or community with at least one
    /// basic grid (网格覆盖), counted once under each of its ancestors.
    /// </summary>
    public const short CoveredVillage = 100;

    /// <summary>A grid worker's facet: 1 + the employment type's number (2 = full time).</summary>
    public static short OfWorker(EmploymentType employment) => (short)(1 + Math.Clamp((int)employment, 0, 99));

    /// <summary>The worker facet of full-time workers.</summary>
    public static short FullTimeWorker => OfWorker(EmploymentType.FullTime);

    /// <summary>
    /// A case's facet: 1 + open (bit 0) + overdue (bit 1) + warning colour × 4. Open means not
    /// VOIDED, CLOSED or EVALUATED (the contract's definition); overdue a yellow or red card.
    /// </summary>
    public static short OfCase(CaseState state, OverdueLevel overdue, WarningColor color)
    {
        var open = IsOpen(state) ? 1 : 0;
        var late = overdue is OverdueLevel.YellowCard or OverdueLevel.RedCard ? 2 : 0;
        return (short)(1 + open + late + (4 * Math.Clamp((int)color, 0, 7)));
    }

    /// <summary>Whether a case in <paramref name="state"/> is open (not VOIDED, CLOSED or EVALUATED).</summary>
    public static bool IsOpen(CaseState state) => state is not (CaseState.Voided or CaseState.Closed or CaseState.Evaluated);

    /// <summary>What a case facet says; null for <see cref="Unclassified"/>.</summary>
    public static (bool Open, bool Overdue, WarningColor Color)? DecodeCase(short facet)
    {
        if (facet <= Unclassified)
        {
            return null;
        }

        var bits = facet - 1;
        return ((bits & 1) != 0, (bits & 2) != 0, (WarningColor)(bits >> 2));
    }

    /// <summary>
    /// The facet of an entity message, for the types whose facet comes from the payload (grid
    /// workers and cases); <see cref="Unclassified"/> for every other type. What ingest writes
    /// into <c>entities.stat_facet</c>.
    /// </summary>
    public static short Of(EntityType type, Google.Protobuf.IMessage? payload) => (type, payload) switch
    {
        (EntityType.GridWorker, GridWorker worker) => OfWorker(worker.Employment),
        (EntityType.Case, Case record) => OfCase(record.State, record.OverdueLevel, record.WarningColor),
        _ => Unclassified,
    };

    /// <summary>Whether records of <paramref name="type"/> carry a payload facet.</summary>
    public static bool HasPayloadFacet(EntityType type) => type is EntityType.GridWorker or EntityType.Case;
}
