using System.Globalization;
using GridExchange.V1;
using Spectre.Console;

namespace GridExchange.Cli;

/// <summary>Human-readable renderings (the table output).</summary>
internal static class Format
{
    /// <summary>GridWorker → grid_worker.</summary>
    public static string TypeName(EntityType type) => Snake(type.ToString());

    public static string Snake(string pascal) =>
        string.Concat(pascal.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <summary>One change on one tab-separated line: sequence, operation, type, key, region, version, commit time.</summary>
    public static string ChangeLine(Change change) => string.Join('\t',
        change.Sequence.ToString(CultureInfo.InvariantCulture),
        Snake(change.Operation.ToString()),
        TypeName(change.EntityType),
        change.EntityKey,
        change.RegionCode,
        "v" + change.EntityVersion.ToString(CultureInfo.InvariantCulture),
        change.CommittedAt is null ? "" : change.CommittedAt.ToDateTimeOffset().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));

    public static Table ChangeTable(IEnumerable<Change> changes)
    {
        var table = new Table().Border(TableBorder.Simple)
            .AddColumns("SEQ", "OP", "TYPE", "KEY", "REGION", "VERSION", "COMMITTED");
        foreach (var change in changes)
        {
            table.AddRow(ChangeLine(change).Split('\t').Select(Markup.Escape).ToArray());
        }

        return table;
    }

    public static Table KeyValues(IEnumerable<(string Key, string Value)> rows)
    {
        var table = new Table().Border(TableBorder.Simple).HideHeaders().AddColumns("", "");
        foreach (var (key, value) in rows)
        {
            table.AddRow(Markup.Escape(key), Markup.Escape(value));
        }

        return table;
    }

    public static string Time(Google.Protobuf.WellKnownTypes.Timestamp? time) =>
        time is null ? "" : time.ToDateTimeOffset().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Percent(double value) => value.ToString("P1", CultureInfo.InvariantCulture);
}
