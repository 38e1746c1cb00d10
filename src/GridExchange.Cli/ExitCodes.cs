using Grpc.Core;

namespace GridExchange.Cli;

/// <summary>The exit codes of <c>gridx</c>, stable for scripts.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>Anything else: an unexpected error, an unreadable file, an audit chain found broken.</summary>
    public const int Other = 1;

    /// <summary>Usage error: unknown command or option, bad option value, missing argument.</summary>
    public const int Usage = 2;

    /// <summary>UNAUTHENTICATED or PERMISSION_DENIED: the token is missing, wrong or not allowed this call.</summary>
    public const int Auth = 3;

    /// <summary>NOT_FOUND.</summary>
    public const int NotFound = 4;

    /// <summary>INVALID_ARGUMENT, FAILED_PRECONDITION (including RESYNC_REQUIRED), OUT_OF_RANGE, ALREADY_EXISTS: the request cannot succeed as sent.</summary>
    public const int Invalid = 5;

    /// <summary>UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED: transient, still failing after the retries.</summary>
    public const int Unavailable = 6;

    /// <summary>Interrupted (Ctrl-C) before the command finished; <c>follow</c> instead stops cleanly with 0.</summary>
    public const int Interrupted = 130;

    /// <summary>The exit code of a failed call.</summary>
    /// <param name="code">The call's status code.</param>
    /// <returns>The exit code.</returns>
    public static int For(StatusCode code) => code switch
    {
        StatusCode.OK => Ok,
        StatusCode.Unauthenticated or StatusCode.PermissionDenied => Auth,
        StatusCode.NotFound => NotFound,
        StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange or StatusCode.AlreadyExists => Invalid,
        StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted => Unavailable,
        _ => Other,
    };

    /// <summary>The text appended to <c>gridx --help</c>.</summary>
    internal const string HelpText = """
        CREDENTIALS (the first one set wins):
          token:   --token, $GRIDX_TOKEN, "token" in the config file
          address: --address, $GRIDX_ADDRESS, "address" in the config file,
                   else http://127.0.0.1:5170
          config file: $GRIDX_CONFIG, else $XDG_CONFIG_HOME/gridx/config.json,
                   else ~/.config/gridx/config.json

        EXIT CODES:
          0  ok
          1  anything else (unexpected error, file error, audit chain broken)
          2  usage error (unknown command or option, bad value)
          3  UNAUTHENTICATED or PERMISSION_DENIED
          4  NOT_FOUND
          5  INVALID_ARGUMENT, FAILED_PRECONDITION (e.g. RESYNC_REQUIRED),
             OUT_OF_RANGE, ALREADY_EXISTS
          6  UNAVAILABLE or another transient error, after the retries
          130 interrupted by Ctrl-C (follow stops cleanly with 0 instead)
          A failed call prints to stderr:
            gridx: <GRPC_CODE> <ErrorInfo reason>: <detail>
        """;
}
