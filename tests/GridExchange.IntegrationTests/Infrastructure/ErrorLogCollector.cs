using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace GridExchange.IntegrationTests.Infrastructure;

/// <summary>
/// Collects every Error or Critical log line the hub writes, so a test run fails on errors
/// that no assertion looked at (grpc-dotnet's VerifyNoErrorsScope habit).
/// </summary>
public sealed class ErrorLogCollector : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _errors = new();

    /// <summary>The error lines seen so far.</summary>
    public IReadOnlyCollection<string> Errors => _errors;

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Collector(categoryName, _errors);

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private sealed class Collector(string category, ConcurrentQueue<string> errors) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                errors.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
            }
        }
    }
}
