using GridExchange.Cli.Commands;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GridExchange.Cli;

/// <summary>
/// The <c>gridx</c> entry point. <see cref="RunAsync"/> runs one command line against given
/// writers and environment, so tests (and hosts) can call the tool in-process.
/// </summary>
public static class Program
{
    /// <summary>Runs <c>gridx</c> on the process's console; Ctrl-C cancels the command cleanly.</summary>
    /// <param name="args">The command line.</param>
    /// <returns>The exit code (see <see cref="ExitCodes"/>).</returns>
    public static async Task<int> Main(string[] args)
    {
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // The first Ctrl-C stops the command cleanly; a second one kills the process.
            if (!stop.IsCancellationRequested)
            {
                e.Cancel = true;
                stop.Cancel();
            }
        };
        Console.OutputEncoding = System.Text.Encoding.UTF8;
        var io = new CliIo(Console.Out, Console.Error, Environment.GetEnvironmentVariable, ErrorIsTerminal: !Console.IsErrorRedirected);
        return await RunAsync(args, io, stop.Token).ConfigureAwait(false);
    }

    /// <summary>Runs one <c>gridx</c> command line.</summary>
    /// <param name="args">The command line (without the program name).</param>
    /// <param name="io">Where output and errors go, and where settings are read from.</param>
    /// <param name="cancellationToken">Stops the command (as Ctrl-C does).</param>
    /// <returns>The exit code (see <see cref="ExitCodes"/>).</returns>
    public static async Task<int> RunAsync(string[] args, CliIo io, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(io);
        var context = new CliContext(io);
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("gridx");
            config.ConfigureConsole(context.OutConsole);
            config.Settings.Registrar.RegisterInstance(context);
            config.SetHelpProvider(new GridxHelpProvider(config.Settings));
            config.PropagateExceptions();
            config.UseStrictParsing();
            config.AddCommand<PullCommand>("pull")
                .WithDescription("Read one page of the change feed (PullChanges), or every page with --all; prints the changes and the next cursor.")
                .WithExample("pull", "--scope", "370602000000", "--types", "person,household", "--page-size", "100")
                .WithExample("pull", "--cursor", "<next_cursor>", "--all", "--output", "json");
            config.AddCommand<FollowCommand>("follow")
                .WithDescription("Follow the change feed (SubscribeChanges), one line per change, resumable with --checkpoint; Ctrl-C stops cleanly.")
                .WithExample("follow", "--scope", "370602000000", "--checkpoint", "zhifu.checkpoint");
            config.AddCommand<ExportCommand>("export")
                .WithDescription("Export a snapshot of a scope (ExportSnapshot) as NDJSON of changes; prints the final cursor to follow from.")
                .WithExample("export", "--scope", "370602000000", "--out", "zhifu.ndjson");
            config.AddCommand<StatsCommand>("stats")
                .WithDescription("Region statistics (GetRegionStats).")
                .WithExample("stats", "370602000000", "--children");
            config.AddCommand<SubmitCommand>("submit")
                .WithDescription("Submit an NDJSON file of changes (SubmitChanges, role SOURCE) in idempotent batches; exit code 5 when any is rejected.")
                .WithExample("submit", "changes.ndjson", "--source", "370602-zgw");
            config.AddBranch("peers", peers =>
            {
                peers.SetDescription("Registered peers (AdminService; needs an ADMIN token).");
                peers.AddCommand<PeersListCommand>("list").WithDescription("List the peers (ListPeers).");
                peers.AddCommand<PeerStatusCommand>("status").WithDescription("A peer's sync status (GetPeerStatus).");
            });
            config.AddBranch("directive", directive =>
            {
                directive.SetDescription("Directives.");
                directive.AddCommand<DirectiveStatusCommand>("status").WithDescription("A directive and its receipt counts (GetDirectiveStatus).");
                directive.AddCommand<DirectiveIssueCommand>("issue").WithDescription("Issue a directive from a JSON file (IssueDirective; role ISSUER).");
                directive.AddCommand<DirectiveAckCommand>("ack").WithDescription("Sign for, start or give feedback on a directive (AcknowledgeDirective).");
            });
            config.AddBranch("audit", audit =>
            {
                audit.SetDescription("The audit log (AdminService; needs an ADMIN token).");
                audit.AddCommand<AuditVerifyCommand>("verify").WithDescription("Verify the audit log's hash chain (VerifyAuditLog); exit code 1 when it is broken.");
            });
        });

        try
        {
            return await app.RunAsync(args, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return context.ReportError(e, cancellationToken);
        }
    }
}
