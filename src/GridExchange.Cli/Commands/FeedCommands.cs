using System.ComponentModel;
using GridExchange.Client;
using GridExchange.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GridExchange.Cli.Commands;

internal sealed class PullSettings : ScopeSettings
{
    [CommandOption("--cursor <CURSOR>")]
    [Description("Read the changes after this cursor (a previous next_cursor); empty: from the start of the log.")]
    public string Cursor { get; set; } = "";

    [CommandOption("--page-size <N>")]
    [Description("Changes per page (the hub caps it); 0: the hub's default.")]
    public int PageSize { get; set; }

    [CommandOption("--all")]
    [Description("Follow next_cursor page after page until caught up.")]
    public bool All { get; set; }

    public override ValidationResult Validate() =>
        PageSize < 0 ? ValidationResult.Error("--page-size must be 0 or more.") : base.Validate();
}

/// <summary>
/// <c>gridx pull</c>: PullChanges. json: each page is one line, a PullChangesResponse; table: the
/// changes, then the next cursor.
/// </summary>
internal sealed class PullCommand(CliContext context) : AsyncCommand<PullSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext commandContext, PullSettings settings, CancellationToken cancellationToken)
    {
        using var client = context.CreateClient(settings);
        var cursor = settings.Cursor;
        var scope = settings.Scope();
        long total = 0;
        while (true)
        {
            var page = await client.Exchange.PullChangesAsync(
                new PullChangesRequest { Cursor = cursor, Scope = scope, PageSize = settings.PageSize }, cancellationToken: cancellationToken);
            total += page.Changes.Count;
            if (settings.Json)
            {
                context.WriteJson(page);
            }
            else if (page.Changes.Count > 0)
            {
                context.Render(Format.ChangeTable(page.Changes));
            }

            // An empty next_cursor means "no change after the cursor": keep the one we have.
            cursor = page.NextCursor.Length > 0 ? page.NextCursor : cursor;
            if (!settings.All || page.CaughtUp || page.Changes.Count == 0)
            {
                if (!settings.Json)
                {
                    context.Io.Out.WriteLine($"changes: {total}");
                    context.Io.Out.WriteLine($"next_cursor: {cursor}");
                    context.Io.Out.WriteLine($"caught_up: {(page.CaughtUp ? "yes" : "no")}");
                }

                return ExitCodes.Ok;
            }
        }
    }
}

internal sealed class FollowSettings : ScopeSettings
{
    [CommandOption("--checkpoint <FILE>")]
    [Description("Keep the position in FILE (created if missing): a later run resumes after the last change printed.")]
    public string? Checkpoint { get; set; }

    [CommandOption("--cursor <CURSOR>")]
    [Description("Without a saved checkpoint: start after this cursor (default: the start of the log).")]
    public string Cursor { get; set; } = "";

    [CommandOption("--heartbeat <SECONDS>")]
    [Description("Heartbeat interval asked of the hub (1 to 300 s).")]
    [DefaultValue(15)]
    public int HeartbeatSeconds { get; set; } = 15;

    [CommandOption("--max <N>")]
    [Description("Stop after N changes (0: never).")]
    public long Max { get; set; }

    [CommandOption("--until-caught-up")]
    [Description("Stop at the first heartbeat, i.e. once there is nothing new.")]
    public bool UntilCaughtUp { get; set; }

    public override ValidationResult Validate() =>
        HeartbeatSeconds is < 1 or > 300 ? ValidationResult.Error("--heartbeat must be 1 to 300 seconds.")
        : Max < 0 ? ValidationResult.Error("--max must be 0 or more.")
        : base.Validate();
}

/// <summary>
/// <c>gridx follow</c>: the resumable consumer (ChangeFeedConsumer, FileCheckpointStore), one line
/// per change (json: one Change per line). Ctrl-C, --max or --until-caught-up stop it cleanly,
/// the checkpoint then holding the last change printed.
/// </summary>
internal sealed class FollowCommand(CliContext context) : AsyncCommand<FollowSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext commandContext, FollowSettings settings, CancellationToken cancellationToken)
    {
        using var client = context.CreateClient(settings);
        ICheckpointStore store = settings.Checkpoint is { Length: > 0 } path ? new FileCheckpointStore(path) : new MemoryCheckpointStore();
        var consumer = client.CreateConsumer(store, new ChangeFeedConsumerOptions
        {
            Scope = settings.Scope(),
            StartCursor = settings.Cursor,
            HeartbeatInterval = TimeSpan.FromSeconds(settings.HeartbeatSeconds),
            OnReconnect = e =>
            {
                var why = e.Exception is Grpc.Core.RpcException rpc ? CliContext.GrpcName(rpc.StatusCode) : e.Exception?.Message ?? "stream ended";
                context.Io.Error.WriteLine($"gridx: feed lost ({why}); reconnecting in {e.Delay.TotalSeconds:0.0} s (attempt {e.Failures})");
                return ValueTask.CompletedTask;
            },
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var handler = new PrintingHandler(context, settings, stop);
        try
        {
            await consumer.RunAsync(handler, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Ctrl-C, --max or --until-caught-up: a clean stop; the checkpoint is saved.
        }

        await context.Io.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private sealed class PrintingHandler(CliContext context, FollowSettings settings, CancellationTokenSource stop) : ChangeFeedHandler
    {
        private long _count;

        public override ValueTask OnChangeAsync(Change change, CancellationToken cancellationToken)
        {
            context.Io.Out.WriteLine(settings.Json ? CliContext.Json.Format(change) : Format.ChangeLine(change));
            if (settings.Max > 0 && ++_count >= settings.Max)
            {
                // Returning normally: the consumer saves this change's cursor, then stops.
                stop.Cancel();
            }

            return ValueTask.CompletedTask;
        }

        public override ValueTask OnHeartbeatAsync(Heartbeat heartbeat, CancellationToken cancellationToken)
        {
            if (settings.UntilCaughtUp)
            {
                stop.Cancel();
            }

            return ValueTask.CompletedTask;
        }
    }
}
