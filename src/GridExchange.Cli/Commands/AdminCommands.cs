using System.ComponentModel;
using System.Text.Json;
using Google.Protobuf;
using GridExchange.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GridExchange.Cli.Commands;

/// <summary>Shared output of the single-answer commands: json, one line; table, its fields flattened.</summary>
internal static class Answer
{
    public static void Write(CliContext context, GlobalSettings settings, IMessage message)
    {
        if (settings.Json)
        {
            context.WriteJson(message);
            return;
        }

        var rows = new List<(string, string)>();
        using var document = JsonDocument.Parse(CliContext.Json.Format(message));
        Flatten(document.RootElement, "", rows);
        context.Render(Format.KeyValues(rows));
    }

    private static void Flatten(JsonElement element, string path, List<(string, string)> rows)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Flatten(property.Value, path.Length == 0 ? property.Name : path + "." + property.Name, rows);
                }

                break;
            case JsonValueKind.Array when element.EnumerateArray().All(e => e.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array)):
                rows.Add((path, string.Join(", ", element.EnumerateArray().Select(e => e.ToString()))));
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Flatten(item, $"{path}[{i++}]", rows);
                }

                break;
            default:
                rows.Add((path, element.ToString()));
                break;
        }
    }
}

internal sealed class StatsSettings : GlobalSettings
{
    [CommandArgument(0, "<REGION>")]
    [Description("The 12-digit region code.")]
    public string Region { get; set; } = "";

    [CommandOption("--children")]
    [Description("Also the statistics of each direct child region.")]
    public bool Children { get; set; }
}

/// <summary><c>gridx stats REGION</c>: GetRegionStats.</summary>
internal sealed class StatsCommand(CliContext context) : AsyncCommand<StatsSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext commandContext, StatsSettings settings, CancellationToken cancellationToken)
    {
        using var client = context.CreateClient(settings);
        var answer = await client.Stats.GetRegionStatsAsync(
            new GetRegionStatsRequest { RegionCode = settings.Region, IncludeChildren = settings.Children }, cancellationToken: cancellationToken);
        if (settings.Json)
        {
            context.WriteJson(answer);
            return ExitCodes.Ok;
        }

        var table = new Table().Border(TableBorder.Simple)
            .AddColumns("REGION", "NAME", "RESIDENTS", "HOUSEHOLDS", "GRIDS", "WORKERS", "OPEN CASES", "OVERDUE", "SIGN-FOR", "COMPLETION");
        foreach (var stats in new[] { answer.Stats }.Concat(answer.Children).Where(s => s is not null))
        {
            table.AddRow(
                Markup.Escape(stats.RegionCode), Markup.Escape(stats.RegionName), Format.Number(stats.ResidentCount), Format.Number(stats.HouseholdCount),
                Format.Number(stats.GridCount), Format.Number(stats.GridWorkerCount), Format.Number(stats.OpenCaseCount), Format.Number(stats.OverdueCaseCount),
                Format.Percent(stats.DirectiveCompliance?.SignForRate ?? 0), Format.Percent(stats.DirectiveCompliance?.CompletionRate ?? 0));
        }

        context.Render(table);
        context.Io.Out.WriteLine($"computed_at: {Format.Time(answer.Stats?.ComputedAt)}");
        return ExitCodes.Ok;
    }
}

internal sealed class PeersListSettings : GlobalSettings
{
    [CommandOption("--role <ROLE>")]
    [Description("Only peers with this role (source, consumer, issuer, admin, ...).")]
    public string? Role { get; set; }
}

/// <summary><c>gridx peers list</c>: every page of ListPeers (json: one Peer per line).</summary>
internal sealed class PeersListCommand(CliContext context) : AsyncCommand<PeersListSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext commandContext, PeersListSettings settings, CancellationToken cancellationToken)
    {
        var role = PeerRole.Unspecified;
        if (settings.Role is { Length: > 0 } name)
        {
            var key = name.ToUpperInvariant().Replace("PEER_ROLE_", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal);
            role = Enum.GetValues<PeerRole>().FirstOrDefault(r => r != PeerRole.Unspecified && r.ToString().ToUpperInvariant() == key);
            if (role == PeerRole.Unspecified)
            {
                throw new UsageException($"Unknown peer role '{name}'.");
            }
        }

        using var client = context.CreateClient(settings);
        var table = new Table().Border(TableBorder.Simple).AddColumns("ID", "NAME", "LEVEL", "REGION", "ROLES", "ENABLED");
        var token = "";
        do
        {
            var page = await client.Admin.ListPeersAsync(new ListPeersRequest { Role = role, PageSize = 100, PageToken = token }, cancellationToken: cancellationToken);
            foreach (var peer in page.Peers)
            {
                if (settings.Json)
                {
                    context.WriteJson(peer);
                }
                else
                {
                    table.AddRow(
                        Markup.Escape(peer.Id), Markup.Escape(peer.Name), Format.Snake(peer.Level.ToString()), Markup.Escape(peer.RegionCode),
                        string.Join(",", peer.Roles.Select(r => Format.Snake(r.ToString()))), peer.Enabled ? "yes" : "no");
                }
            }

            token = page.NextPageToken;
        }
        while (token.Length > 0);

        if (!settings.Json)
        {
            context.Render(table);
        }

        return ExitCodes.Ok;
    }
}

internal sealed class IdSettings : GlobalSettings
{
    [CommandArgument(0, "<ID>")]
    [Description("The id.")]
    public string Id { get; set; } = "";
}

/// <summary><c>gridx peers status ID</c>: GetPeerStatus.</summary>
internal sealed class PeerStatusCommand(CliContext context) : AsyncCommand<IdSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext commandContext, IdSettings settings, CancellationToken cancellationToken)
    {
        using var client = context.CreateClient(settings);
        var answer = await client.Admin.GetPeerStatusAsync(new GetPeerStatusRequest { PeerId = settings.Id }, cancellationToken: cancellationToken);
        Answer.Write(context, settings, answer);
        return ExitCodes.Ok;
    }
}

/// <summary><c>gridx directive status ID</c>: GetDirectiveStatus.</summary>
internal sealed class DirectiveStatusCommand(CliContext context) : AsyncCommand<IdSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext commandContext, IdSettings settings, CancellationToken cancellationToken)
    {
        using var client = context.CreateClient(settings);
        var answer = await client.Directives.GetDirectiveStatusAsync(new GetDirectiveStatusRequest { DirectiveId = settings.Id }, cancellationToken: cancellationToken);
        Answer.Write(context, settings, answer);
        return ExitCodes.Ok;
    }
}

internal sealed class AuditVerifySettings : GlobalSettings
{
    [CommandOption("--from <SEQ>")]
    [Description("First sequence to verify (0: the first entry).")]
    public long From { get; set; }

    [CommandOption("--to <SEQ>")]
    [Description("Last sequence to verify (0: the last entry).")]
    public long To { get; set; }
}

/// <summary><c>gridx audit verify</c>: VerifyAuditLog; exit code 1 when the chain is broken.</summary>
internal sealed class AuditVerifyCommand(CliContext context) : AsyncCommand<AuditVerifySettings>
{
    public override async Task<int> ExecuteAsync(CommandContext commandContext, AuditVerifySettings settings, CancellationToken cancellationToken)
    {
        using var client = context.CreateClient(settings);
        var answer = await client.Admin.VerifyAuditLogAsync(
            new VerifyAuditLogRequest { FromSequence = settings.From, ToSequence = settings.To }, cancellationToken: cancellationToken);
        Answer.Write(context, settings, answer);
        if (!answer.Intact)
        {
            context.Io.Error.WriteLine($"gridx: the audit log is broken at sequence {answer.BrokenAtSequence}: {answer.Problem}");
            return ExitCodes.Other;
        }

        return ExitCodes.Ok;
    }
}
