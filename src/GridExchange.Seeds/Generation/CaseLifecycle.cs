using GridExchange.Seeds.Randomness;
using GridExchange.V1;

namespace GridExchange.Seeds.Generation;

/// <summary>
/// Walks a case through the DOMAIN.md §3.1 state machine to a chosen final state, with detours
/// (return to sender, escalation one level up, failed verification) and durations. Every step's
/// from/to states follow the table, so a consumer can replay the history through the hub's own
/// state machine.
/// </summary>
internal static class CaseLifecycle
{
    public static readonly CaseState[] AllStates =
    [
        CaseState.Reported, CaseState.Accepted, CaseState.Voided, CaseState.Registered, CaseState.Dispatched,
        CaseState.Escalated, CaseState.InProgress, CaseState.Resolved, CaseState.Closed, CaseState.Evaluated,
    ];

    private static readonly WeightedTable<CaseState> FinalStates = new(
    [
        (CaseState.Reported, 4), (CaseState.Accepted, 3), (CaseState.Voided, 5), (CaseState.Registered, 3),
        (CaseState.Dispatched, 5), (CaseState.Escalated, 3), (CaseState.InProgress, 10), (CaseState.Resolved, 7),
        (CaseState.Closed, 20), (CaseState.Evaluated, 40),
    ]);

    /// <summary>One transition: the action, the states it connects, the owning level index after it (0 = grid … 3 = county) and the minutes since the previous step.</summary>
    public readonly record struct Transition(CaseAction Action, CaseState From, CaseState To, int Level, int Minutes);

    public static CaseState PickFinalState(SeedRandom random) => FinalStates.Pick(random);

    public static bool IsOpen(CaseState state) => state is not (CaseState.Voided or CaseState.Closed or CaseState.Evaluated);

    /// <summary>The transitions from the report to <paramref name="target"/>; <paramref name="maxLevel"/> bounds escalation (3 = county).</summary>
    public static List<Transition> Walk(CaseState target, SeedRandom random, int maxLevel = 3)
    {
        var steps = new List<Transition>();
        var state = CaseState.Reported;
        var level = 0;

        void Go(CaseAction action, CaseState to, int minutes)
        {
            steps.Add(new Transition(action, state, to, level, minutes));
            state = to;
        }

        Go(CaseAction.Report, CaseState.Reported, 0);
        if (target == CaseState.Reported)
        {
            return steps;
        }

        if (target == CaseState.Voided)
        {
            Go(CaseAction.Void, CaseState.Voided, random.Between(30, 600));
            return steps;
        }

        Go(CaseAction.Accept, CaseState.Accepted, AcceptMinutes(random));

        var escalations = target == CaseState.Escalated ? random.Between(1, 2)
            : random.Next(100) switch { < 2 => 2, < 10 => 1, _ => 0 };
        escalations = Math.Min(escalations, maxLevel);
        for (var e = 0; e < escalations; e++)
        {
            Go(CaseAction.Register, CaseState.Registered, random.Between(5, 120));
            if (random.Chance(0.5))
            {
                Go(CaseAction.Dispatch, CaseState.Dispatched, random.Between(10, 480));
            }

            level++;
            Go(CaseAction.Escalate, CaseState.Escalated, random.Between(24 * 60, 72 * 60));
            if (target == CaseState.Escalated && e == escalations - 1)
            {
                return steps;
            }

            Go(CaseAction.Accept, CaseState.Accepted, AcceptMinutes(random));
        }

        if (target == CaseState.Accepted)
        {
            return steps;
        }

        var onSpot = level == 0 && (target is CaseState.Resolved or CaseState.Closed or CaseState.Evaluated) && random.Chance(0.35);
        if (onSpot)
        {
            Go(CaseAction.ResolveOnSpot, CaseState.Resolved, random.Between(10, 240));
        }
        else
        {
            Go(CaseAction.Register, CaseState.Registered, random.Between(5, 120));
            if (random.Chance(0.08))
            {
                Go(CaseAction.Dispatch, CaseState.Dispatched, random.Between(10, 480));
                Go(CaseAction.Return, CaseState.Registered, random.Between(60, 1440));
            }

            if (target == CaseState.Registered)
            {
                return steps;
            }

            Go(CaseAction.Dispatch, CaseState.Dispatched, random.Between(10, 480));
            if (target == CaseState.Dispatched)
            {
                return steps;
            }

            Go(CaseAction.SignFor, CaseState.InProgress, random.Between(30, 1440));
            if (target == CaseState.InProgress && random.Chance(0.8))
            {
                return steps;
            }

            Go(CaseAction.SubmitResult, CaseState.Resolved, HandleMinutes(random));
        }

        if (target == CaseState.Resolved)
        {
            return steps;
        }

        if (target == CaseState.InProgress || random.Chance(0.06))
        {
            Go(CaseAction.VerifyFail, CaseState.InProgress, random.Between(120, 2880));
            if (target == CaseState.InProgress)
            {
                return steps;
            }

            Go(CaseAction.SubmitResult, CaseState.Resolved, random.Between(24 * 60, 5 * 24 * 60));
        }

        Go(CaseAction.VerifyPass, CaseState.Closed, random.Between(120, 2880));
        if (target == CaseState.Closed)
        {
            return steps;
        }

        Go(CaseAction.Rate, CaseState.Evaluated, random.Between(60, 72 * 60));
        return steps;
    }

    private static int AcceptMinutes(SeedRandom random) => random.Next(100) switch
    {
        < 85 => random.Between(10, 600),
        < 95 => random.Between(24 * 60, 48 * 60),
        _ => random.Between(48 * 60, 96 * 60),
    };

    private static int HandleMinutes(SeedRandom random) => random.Next(100) switch
    {
        < 80 => random.Between(24 * 60, 5 * 24 * 60),
        < 95 => random.Between(5 * 24 * 60, 10 * 24 * 60),
        _ => random.Between(10 * 24 * 60, 20 * 24 * 60),
    };

    /// <summary>
    /// Four-colour warning [P]: red for grade 01–02 or a major group event; orange for grade 03,
    /// a group event or a red card; yellow for a yellow card or an ordinary dispute (categories
    /// 01–10); blue (latent) otherwise.
    /// </summary>
    public static WarningColor Warning(CaseGrade grade, EventScale scale, OverdueLevel overdue, string category)
    {
        if (grade is CaseGrade.Extraordinary or CaseGrade.Major || scale == EventScale.MajorGroup)
        {
            return WarningColor.Red;
        }

        if (grade == CaseGrade.Larger || scale == EventScale.GeneralGroup || overdue == OverdueLevel.RedCard)
        {
            return WarningColor.Orange;
        }

        return overdue == OverdueLevel.YellowCard || string.CompareOrdinal(category, "11") < 0 ? WarningColor.Yellow : WarningColor.Blue;
    }
}
