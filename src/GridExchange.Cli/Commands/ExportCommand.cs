using System.ComponentModel;
using System.Text;
using Grpc.Core;
using GridExchange.Client;
using GridExchange.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GridExchange.Cli.Commands;

internal sealed class ExportSettings : ScopeSettings
{
    [CommandOption("--out <FILE>")]
    [Description("Write the records (NDJSON, one Change per line) to FILE instead of stdout.")]
    public string? Out { get; set; }

    public override ValidationResult Validate() =>
        Scopes.Length == 0 ? ValidationResult.Error("export needs --scope CODE.") : base.Validate();
}

/// <summary>
/// <c>gridx export</c>: ExportSnapshot as NDJSON of changes (to --out or stdout), resumed with the
/// last chunk's token after a transient break, then the end (cursor, record count): on stdout
/// when the records go to a file, else on stderr. Progress on stderr only when it is a terminal.
/// </summary>
internal sealed class ExportCommand(CliContext context) : AsyncCommand<ExportSettings>
{
    private const int MaxResumes = 5;

    public override async Task<int> ExecuteAsync(CommandContext commandContext, ExportSettings settings, CancellationToken cancellationToken)
    {
        using var client = context.CreateClient(settings);
        var scope = settings.Scope();
        var toFile = settings.Out is { Length: > 0 };
        var writer = toFile
            ? new StreamWriter(settings.Out!, append: false, new UTF8Encoding(false))
            : context.Io.Out;
        SnapshotEnd? end;
        try
        {
            if (context.Io.ErrorIsTerminal)
            {
                end = await context.ErrorConsole.Progress()
                    .AutoClear(true)
                    .Columns(new SpinnerColumn(), new TaskDescriptionColumn(), new ElapsedTimeColumn())
                    .StartAsync(async progress =>
                    {
                        var task = progress.AddTask("exporting").IsIndeterminate();
                        return await ExportAsync(client, scope, writer, n => task.Description = $"exported {Format.Number(n)} records", cancellationToken)
                            .ConfigureAwait(false);
                    }).ConfigureAwait(false);
            }
            else
            {
                end = await ExportAsync(client, scope, writer, _ => { }, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await writer.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            if (toFile)
            {
                await writer.DisposeAsync().ConfigureAwait(false);
            }
        }

        var summary = toFile ? context.Io.Out : context.Io.Error;
        if (settings.Json)
        {
            summary.WriteLine(CliContext.Json.Format(end));
        }
        else
        {
            summary.WriteLine($"records: {end.RecordCount}");
            summary.WriteLine($"cursor: {end.Cursor}");
            summary.WriteLine($"snapshot_time: {Format.Time(end.SnapshotTime)}");
        }

        return ExitCodes.Ok;
    }

    private async Task<SnapshotEnd> ExportAsync(GridExchangeClient client, ChangeScope? scope, TextWriter writer, Action<long> progress, CancellationToken cancellationToken)
    {
        var token = "";
        long written = 0;
        var failures = 0;
        while (true)
        {
            try
            {
                using var call = client.Exchange.ExportSnapshot(new ExportSnapshotRequest { Scope = scope, ResumeToken = token }, cancellationToken: cancellationToken);
                while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
                {
                    var item = call.ResponseStream.Current;
                    if (item.ItemCase == ExportSnapshotResponse.ItemOneofCase.Chunk)
                    {
                        foreach (var record in item.Chunk.Records)
                        {
                            await writer.WriteLineAsync(CliContext.Json.Format(record)).ConfigureAwait(false);
                        }

                        written += item.Chunk.Records.Count;
                        token = item.Chunk.ResumeToken;
                        failures = 0;
                        progress(written);
                    }
                    else if (item.ItemCase == ExportSnapshotResponse.ItemOneofCase.End)
                    {
                        return item.End;
                    }
                }

                throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "The snapshot stream ended without its end message."));
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested && token.Length > 0 && ++failures <= MaxResumes
                && GridExchangeErrors.Classify(e, deadlineRetryable: true) == RetryClassification.Transient)
            {
                context.Io.Error.WriteLine($"gridx: snapshot broken off ({CliContext.GrpcName(e.StatusCode)}); resuming after {Format.Number(written)} records");
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, failures)), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
