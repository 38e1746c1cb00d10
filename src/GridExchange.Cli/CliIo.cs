namespace GridExchange.Cli;

/// <summary>The streams and environment one <c>gridx</c> run uses.</summary>
/// <param name="Out">Standard output: the command's result (table or JSON).</param>
/// <param name="Error">Standard error: errors, retries and progress.</param>
/// <param name="Environment">Reads an environment variable (null when unset), e.g. <c>GRIDX_TOKEN</c>.</param>
/// <param name="ErrorIsTerminal">Whether <paramref name="Error"/> is a terminal (progress bars are drawn only then).</param>
public sealed record CliIo(TextWriter Out, TextWriter Error, Func<string, string?> Environment, bool ErrorIsTerminal);
