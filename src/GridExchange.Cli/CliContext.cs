using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using GridExchange.Client;
using Spectre.Console;
using Spectre.Console.Cli;
using Spectre.Console.Cli.Help;
using Spectre.Console.Rendering;

namespace GridExchange.Cli;

/// <summary>A usage error found by a command (exit code 2).</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>What the commands of one run share: output, settings resolution, the client.</summary>
internal sealed class CliContext
{
    /// <summary>Proto3 JSON (field names in lowerCamelCase, enums by name, defaults omitted): stable for scripts.</summary>
    public static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default);

    public CliContext(CliIo io)
    {
        Io = io;
        OutConsole = CreateConsole(io.Out, interactive: false);
        ErrorConsole = CreateConsole(io.Error, interactive: io.ErrorIsTerminal);
        if (!ReferenceEquals(io.Out, Console.Out) || Console.IsOutputRedirected)
        {
            // Piped or captured: no terminal to fit; do not wrap table cells at 80 columns.
            OutConsole.Profile.Width = 240;
        }
    }

    public CliIo Io { get; }

    public IAnsiConsole OutConsole { get; }

    public IAnsiConsole ErrorConsole { get; }

    public const string DefaultAddress = "http://127.0.0.1:5170";

    public GridExchangeClient CreateClient(GlobalSettings settings)
    {
        var config = ReadConfigFile();
        var address = First(settings.Address, Io.Environment("GRIDX_ADDRESS"), config.Address) ?? DefaultAddress;
        var token = First(settings.Token, Io.Environment("GRIDX_TOKEN"), config.Token);
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            throw new UsageException($"The address '{address}' is not an http:// or https:// URL.");
        }

        return new GridExchangeClient(new GridExchangeClientOptions
        {
            Address = uri,
            BearerToken = token?.Trim(),
            Retry = new GridExchangeRetryOptions
            {
                MaxRetryAttempts = settings.Retries,
                MaxDelay = TimeSpan.FromSeconds(10),
                OnRetry = e =>
                {
                    var code = e.Exception is RpcException rpc ? GrpcName(rpc.StatusCode) : e.Exception.GetType().Name;
                    Io.Error.WriteLine($"gridx: {e.Method}: {code}, retry {e.Attempt + 1} in {e.Delay.TotalSeconds:0.0} s");
                    return ValueTask.CompletedTask;
                },
            },
        });
    }

    /// <summary>Writes one protobuf message as one line of JSON.</summary>
    public void WriteJson(IMessage message) => Io.Out.WriteLine(Json.Format(message));

    public void Render(IRenderable renderable) => OutConsole.Write(renderable);

    /// <summary>Reports <paramref name="exception"/> on stderr and returns its exit code.</summary>
    public int ReportError(Exception exception, CancellationToken cancellationToken)
    {
        switch (exception)
        {
            case OperationCanceledException when cancellationToken.IsCancellationRequested:
            case RpcException { StatusCode: StatusCode.Cancelled } when cancellationToken.IsCancellationRequested:
                Io.Error.WriteLine("gridx: interrupted");
                return ExitCodes.Interrupted;
            case ResyncRequiredException resync:
                if (resync.InnerException is RpcException inner)
                {
                    return ReportError(inner, cancellationToken);
                }

                Io.Error.WriteLine($"gridx: FAILED_PRECONDITION {GridExchangeErrors.ResyncRequired}: {resync.Message}");
                return ExitCodes.Invalid;
            case RpcException rpc:
                var reason = GridExchangeErrors.Reason(rpc);
                Io.Error.WriteLine($"gridx: {GrpcName(rpc.StatusCode)}{(reason.Length > 0 ? " " + reason : "")}: {rpc.Status.Detail}");
                return ExitCodes.For(rpc.StatusCode);
            case UsageException or CommandAppException:
                Io.Error.WriteLine($"gridx: usage: {exception.Message} (see gridx --help)");
                return ExitCodes.Usage;
            default:
                Io.Error.WriteLine($"gridx: {exception.GetType().Name}: {exception.Message}");
                return ExitCodes.Other;
        }
    }

    /// <summary>INVALID_ARGUMENT for <see cref="StatusCode.InvalidArgument"/>: the code as gRPC spells it.</summary>
    public static string GrpcName(StatusCode code) => code switch
    {
        StatusCode.OK => "OK",
        _ => string.Concat(code.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : c.ToString())).ToUpperInvariant(),
    };

    private ConfigFile ReadConfigFile()
    {
        var path = Io.Environment("GRIDX_CONFIG");
        if (string.IsNullOrEmpty(path))
        {
            var xdg = Io.Environment("XDG_CONFIG_HOME");
            var home = Io.Environment("HOME");
            path = !string.IsNullOrEmpty(xdg) ? Path.Combine(xdg, "gridx", "config.json")
                : !string.IsNullOrEmpty(home) ? Path.Combine(home, ".config", "gridx", "config.json")
                : null;
        }

        if (path is null || !File.Exists(path))
        {
            return new ConfigFile();
        }

        try
        {
            return JsonSerializer.Deserialize<ConfigFile>(File.ReadAllText(path), new JsonSerializerOptions { PropertyNameCaseInsensitive = true })
                ?? new ConfigFile();
        }
        catch (JsonException e)
        {
            throw new UsageException($"The config file '{path}' is not valid JSON: {e.Message}");
        }
    }

    private static string? First(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

    private static IAnsiConsole CreateConsole(TextWriter writer, bool interactive) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(writer),
        Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
    });

    private sealed class ConfigFile
    {
        public string? Address { get; set; }

        public string? Token { get; set; }
    }
}

/// <summary>Appends credentials and exit codes to the help.</summary>
internal sealed class GridxHelpProvider(ICommandAppSettings settings) : HelpProvider(settings)
{
    public override IEnumerable<IRenderable> GetFooter(ICommandModel model, ICommandInfo? command) =>
        [.. base.GetFooter(model, command), new Text(Environment.NewLine + ExitCodes.HelpText + Environment.NewLine)];
}
