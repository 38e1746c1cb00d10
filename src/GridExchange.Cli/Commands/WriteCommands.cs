using System.ComponentModel;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using GridExchange.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GridExchange.Cli.Commands;

internal sealed class SubmitSettings : GlobalSettings
{
    [CommandArgument(0, "<FILE>")]
    [Description("NDJSON of Change (protobuf JSON, one per line, as the seed files); .gz is decompressed; - reads stdin.")]
    public string File { get; set; } = "";

    [CommandOption("--source <PEER_ID>")]
    [Description("The source system: the token's own peer id (required).")]
    public string Source { get; set; } = "";

    [CommandOption("--batch-size <N>")]
    [Description("Changes per SubmitChanges call (1 to 1000).")]
    [DefaultValue(500)]
    public int BatchSize { get; set; } = 500;

    public override ValidationResult Validate() =>
        Source.Length == 0 ? ValidationResult.Error("submit needs --source PEER_ID (the token's own peer id).")
        : BatchSize is < 1 or > 1000 ? ValidationResult.Error("--batch-size must be 1 to 1000.")
        : base.Validate();
}

/// <summary>
/// <c>gridx submit FILE</c>: SubmitChanges in batches. Each batch's request_id is derived from the
/// source, the file's content and the batch number, so running the same file again is answered
/// with the first answers (idempotent) instead of being applied twice. json: one
/// SubmitChangesResponse per batch; table: the counts and every rejected change. Exit code 5
/// when any change was rejected.
/// </summary>
internal sealed class SubmitCommand(CliContext context) : AsyncCommand<SubmitSettings>
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default);

    public override async Task<int> ExecuteAsync(CommandContext commandContext, SubmitSettings settings, CancellationToken cancellationToken)
    {
        var bytes = settings.File == "-" ? await ReadStdinAsync(cancellationToken).ConfigureAwait(false)
            : await System.IO.File.ReadAllBytesAsync(settings.File, cancellationToken).ConfigureAwait(false);
        var changes = Parse(bytes, settings.File);
        if (changes.Count == 0)
        {
            throw new UsageException($"'{settings.File}' holds no change.");
        }

        var fingerprint = Convert.ToHexStringLower(SHA256.HashData([.. Encoding.UTF8.GetBytes(settings.Source + "\n"), .. bytes]))[..24];
        using var client = context.CreateClient(settings);
        int applied = 0, duplicate = 0, stale = 0, rejected = 0, batch = 0;
        var cursor = "";

        // A progress bar of changes sent, on stderr only when it is a terminal (scripts read stdout).
        async Task SendAllAsync(Action<int> sent)
        {
            foreach (var chunk in changes.Chunk(settings.BatchSize))
            {
                await SendAsync(chunk).ConfigureAwait(false);
                sent(chunk.Length);
            }
        }

        async Task SendAsync(Change[] chunk)
        {
            var request = new SubmitChangesRequest { RequestId = $"gridx-{fingerprint}-{batch}", SourceSystem = settings.Source };
            request.Changes.AddRange(chunk);
            var answer = await client.Exchange.SubmitChangesAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            applied += answer.AppliedCount;
            duplicate += answer.DuplicateCount;
            stale += answer.StaleCount;
            rejected += answer.RejectedCount;
            cursor = answer.Cursor.Length > 0 ? answer.Cursor : cursor;
            if (settings.Json)
            {
                context.WriteJson(answer);
            }
            else
            {
                foreach (var result in answer.Results.Where(r => r.Status == ChangeResultStatus.Rejected))
                {
                    var line = (batch * settings.BatchSize) + result.Index + 1;
                    context.Io.Error.WriteLine($"gridx: line {line} ({result.SourceChangeId}) rejected: {result.Reason} {result.Message}");
                }
            }

            batch++;
        }

        if (context.Io.ErrorIsTerminal)
        {
            await context.ErrorConsole.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask("submitting", maxValue: changes.Count);
                    await SendAllAsync(n => task.Increment(n)).ConfigureAwait(false);
                }).ConfigureAwait(false);
        }
        else
        {
            await SendAllAsync(_ => { }).ConfigureAwait(false);
        }

        if (!settings.Json)
        {
            context.Render(Format.KeyValues([
                ("changes", Format.Number(changes.Count)), ("applied", Format.Number(applied)), ("duplicate", Format.Number(duplicate)),
                ("stale", Format.Number(stale)), ("rejected", Format.Number(rejected)), ("cursor", cursor)]));
        }

        return rejected > 0 ? ExitCodes.Invalid : ExitCodes.Ok;
    }

    private static async Task<byte[]> ReadStdinAsync(CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await using var stdin = Console.OpenStandardInput();
        await stdin.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    private static List<Change> Parse(byte[] bytes, string name)
    {
        Stream stream = new MemoryStream(bytes);
        if (bytes is [0x1f, 0x8b, ..])
        {
            stream = new GZipStream(stream, CompressionMode.Decompress);
        }

        using var reader = new StreamReader(stream, new UTF8Encoding(false, true));
        var changes = new List<Change>();
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (line.Trim().Length == 0)
            {
                continue;
            }

            try
            {
                changes.Add(Parser.Parse<Change>(line));
            }
            catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException)
            {
                throw new UsageException($"{name} line {number} is not a Change: {e.Message}");
            }
        }

        return changes;
    }
}

internal sealed class DirectiveIssueSettings : GlobalSettings
{
    [CommandArgument(0, "<FILE>")]
    [Description("The directive as protobuf JSON (a gridexchange.v1.Directive); - reads stdin.")]
    public string File { get; set; } = "";

    [CommandOption("--request-id <ID>")]
    [Description("Idempotency key (default: derived from the file's content, so a repeat is answered with the first answer).")]
    public string? RequestId { get; set; }
}

/// <summary><c>gridx directive issue FILE</c>: IssueDirective.</summary>
internal sealed class DirectiveIssueCommand(CliContext context) : AsyncCommand<DirectiveIssueSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext commandContext, DirectiveIssueSettings settings, CancellationToken cancellationToken)
    {
        var text = settings.File == "-" ? await Console.In.ReadToEndAsync(cancellationToken).ConfigureAwait(false)
            : await System.IO.File.ReadAllTextAsync(settings.File, cancellationToken).ConfigureAwait(false);
        Directive directive;
        try
        {
            directive = JsonParser.Default.Parse<Directive>(text);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException)
        {
            throw new UsageException($"{settings.File} is not a Directive: {e.Message}");
        }

        var requestId = settings.RequestId ?? "gridx-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
        using var client = context.CreateClient(settings);
        var answer = await client.Directives.IssueDirectiveAsync(
            new IssueDirectiveRequest { RequestId = requestId, Directive = directive }, cancellationToken: cancellationToken);
        Answer.Write(context, settings, answer);
        return ExitCodes.Ok;
    }
}

internal sealed class DirectiveAckSettings : GlobalSettings
{
    [CommandArgument(0, "<ID>")]
    [Description("The directive id.")]
    public string Id { get; set; } = "";

    [CommandOption("--region <CODE>")]
    [Description("The recipient region (required).")]
    public string Region { get; set; } = "";

    [CommandOption("--action <ACTION>")]
    [Description("sign-for, start or submit-feedback.")]
    [DefaultValue("sign-for")]
    public string Action { get; set; } = "sign-for";

    [CommandOption("--actor <NAME>")]
    [Description("Who acts (required by the hub for some actions).")]
    public string? Actor { get; set; }

    [CommandOption("--feedback <TEXT>")]
    [Description("The feedback (submit-feedback).")]
    public string? Feedback { get; set; }

    [CommandOption("--expected-version <N>")]
    [Description("Fail with ABORTED VERSION_CONFLICT unless the receipt is at this version (0: any).")]
    public long ExpectedVersion { get; set; }

    [CommandOption("--request-id <ID>")]
    [Description("Idempotency key (default: derived from the directive, region and action).")]
    public string? RequestId { get; set; }

    public DirectiveAction ParsedAction() => Action.ToLowerInvariant().Replace('_', '-') switch
    {
        "sign-for" or "signfor" or "directive-action-sign-for" => DirectiveAction.SignFor,
        "start" or "directive-action-start" => DirectiveAction.Start,
        "submit-feedback" or "feedback" or "directive-action-submit-feedback" => DirectiveAction.SubmitFeedback,
        _ => DirectiveAction.Unspecified,
    };

    public override ValidationResult Validate() =>
        Region.Length == 0 ? ValidationResult.Error("directive ack needs --region CODE.")
        : ParsedAction() == DirectiveAction.Unspecified ? ValidationResult.Error($"--action must be sign-for, start or submit-feedback, not '{Action}'.")
        : base.Validate();
}

/// <summary><c>gridx directive ack ID --region CODE --action ACTION</c>: AcknowledgeDirective.</summary>
internal sealed class DirectiveAckCommand(CliContext context) : AsyncCommand<DirectiveAckSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext commandContext, DirectiveAckSettings settings, CancellationToken cancellationToken)
    {
        var action = settings.ParsedAction();
        var requestId = settings.RequestId ?? "gridx-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"{settings.Id}\n{settings.Region}\n{action}\n{settings.Feedback}")))[..32];
        using var client = context.CreateClient(settings);
        var answer = await client.Directives.AcknowledgeDirectiveAsync(new AcknowledgeDirectiveRequest
        {
            RequestId = requestId,
            DirectiveId = settings.Id,
            RecipientRegionCode = settings.Region,
            Action = action,
            ActorName = settings.Actor ?? "",
            Feedback = settings.Feedback ?? "",
            ExpectedVersion = settings.ExpectedVersion,
        }, cancellationToken: cancellationToken);
        Answer.Write(context, settings, answer);
        return ExitCodes.Ok;
    }
}
