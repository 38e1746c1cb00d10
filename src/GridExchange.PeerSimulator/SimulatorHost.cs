using System.Net;
using GridExchange.PeerSimulator.Admin;
using GridExchange.PeerSimulator.Faults;
using GridExchange.PeerSimulator.Services;
using GridExchange.PeerSimulator.Sink;
using GridExchange.PeerSimulator.Source;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace GridExchange.PeerSimulator;

/// <summary>The parts of a running simulator the admin endpoint reads.</summary>
internal sealed class SimulatorRuntime(FaultPolicy faults, CountySource? source, CitySink? sink)
{
    public FaultPolicy Faults => faults;

    public int AdminPort { get; set; } = -1;

    public Task<PeerState> GetStateAsync(CancellationToken cancellationToken) =>
        source?.GetStateAsync(cancellationToken) ?? sink!.GetStateAsync(cancellationToken);
}

/// <summary>
/// A running simulated peer: Kestrel on loopback serving PeerService over cleartext HTTP/2 (and,
/// when asked, the admin endpoint over HTTP/1.1 on a second port), its store, its generator and
/// its fault policy. Tests start it in-process and drive it through these members; Program.cs
/// starts it from the command line.
/// </summary>
public sealed class SimulatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string? _temporaryDirectory;

    private SimulatorHost(WebApplication app, SimulatorOptions options, FaultPolicy faults, CountySource? source, CitySink? sink,
        GeneratorService? generator, Uri address, Uri? adminAddress, string? temporaryDirectory, CallGauge exports)
    {
        ExportStreams = exports;
        _app = app;
        Options = options;
        Faults = faults;
        Source = source;
        Sink = sink;
        Generator = generator;
        Address = address;
        AdminAddress = adminAddress;
        _temporaryDirectory = temporaryDirectory;
    }

    /// <summary>The options it runs with.</summary>
    public SimulatorOptions Options { get; }

    /// <summary>Where PeerService listens (http://127.0.0.1:port, HTTP/2 cleartext).</summary>
    public Uri Address { get; }

    /// <summary>Where the admin endpoint listens; null when off.</summary>
    public Uri? AdminAddress { get; }

    /// <summary>The ExportChanges streams being served (role source): how many now, the most at once, how many in all.</summary>
    public CallGauge ExportStreams { get; }

    /// <summary>The faults in force; <see cref="FaultPolicy.Update"/> changes them at run time.</summary>
    public FaultPolicy Faults { get; }

    /// <summary>The county's store (role source), else null.</summary>
    public CountySource? Source { get; }

    /// <summary>The city's store (role sink), else null.</summary>
    public CitySink? Sink { get; }

    /// <summary>The change generator loop (role source), else null; set its <see cref="GeneratorService.Rate"/> at run time.</summary>
    public GeneratorService? Generator { get; }

    /// <summary>Opens the store (filling it from the seeds when empty) and starts serving.</summary>
    /// <param name="options">What to simulate.</param>
    /// <param name="configureLogging">Adjusts logging (tests collect errors; Program logs to the console).</param>
    /// <param name="clock">The clock of records and validation; the system clock when null.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<SimulatorHost> StartAsync(
        SimulatorOptions options, Action<ILoggingBuilder>? configureLogging = null, TimeProvider? clock = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        clock ??= TimeProvider.System;
        var temporary = options.DataDirectory is null ? Directory.CreateTempSubdirectory("gridx-peersim-").FullName : null;
        var dataDirectory = options.DataDirectory ?? temporary!;
        CountySource? source = null;
        CitySink? sink = null;
        try
        {
            var file = Path.Combine(dataDirectory, $"{options.Role.ToString().ToLowerInvariant()}-{options.RegionCode}.db");
            if (options.Role == PeerRoleKind.Source)
            {
                source = await CountySource.OpenAsync(file, options.RegionCode, options.SourceSystem, options.SeedDirectory, clock, cancellationToken);
            }
            else
            {
                sink = await CitySink.OpenAsync(file, options.RegionCode, options.SeedDirectory, cancellationToken);
            }

            var faults = new FaultPolicy(options.Faults);
            var runtime = new SimulatorRuntime(faults, source, sink);
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning).AddFilter("Grpc", LogLevel.Warning);
            configureLogging?.Invoke(builder.Logging);
            ListenOptions? grpcListener = null;
            ListenOptions? adminListener = null;
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.Listen(IPAddress.Loopback, options.Port, listen =>
                {
                    listen.Protocols = HttpProtocols.Http2;
                    grpcListener = listen;
                });
                if (options.AdminPort >= 0)
                {
                    kestrel.Listen(IPAddress.Loopback, options.AdminPort, listen =>
                    {
                        listen.Protocols = HttpProtocols.Http1;
                        adminListener = listen;
                    });
                }
            });

            builder.Services.AddSingleton(options);
            builder.Services.AddSingleton(faults);
            builder.Services.AddSingleton(runtime);
            builder.Services.AddSingleton<BearerTokenInterceptor>();
            builder.Services.AddSingleton<FaultInterceptor>();
            var exports = new CallGauge();
            builder.Services.AddSingleton(_ => new PeerGrpcService(options, source, sink, exports));
            builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
            GeneratorService? generator = null;
            if (source is not null)
            {
                builder.Services.AddSingleton(sp => generator = new GeneratorService(
                    source, new ChangeGenerator(source, options.GeneratorSeed, clock), sp.GetRequiredService<ILogger<GeneratorService>>())
                {
                    Rate = options.Rate,
                });
                builder.Services.AddHostedService(sp => sp.GetRequiredService<GeneratorService>());
            }

            // Faults first: they stand for the line and the front end, which fail every caller alike.
            builder.Services.AddGrpc(grpc =>
            {
                grpc.Interceptors.Add<FaultInterceptor>();
                grpc.Interceptors.Add<BearerTokenInterceptor>();
            });

            var app = builder.Build();
            app.MapGrpcService<PeerGrpcService>();
            AdminEndpoints.Map(app, runtime);
            await app.StartAsync(cancellationToken);
            runtime.AdminPort = adminListener?.IPEndPoint?.Port ?? -1;
            var address = new Uri($"http://127.0.0.1:{grpcListener!.IPEndPoint!.Port}");
            var admin = adminListener is null ? null : new Uri($"http://127.0.0.1:{adminListener.IPEndPoint!.Port}");
            return new SimulatorHost(app, options, faults, source, sink, generator, address, admin, temporary, exports);
        }
        catch
        {
            await DisposeStoresAsync(source, sink, temporary);
            throw;
        }
    }

    /// <summary>What the peer holds now.</summary>
    public Task<PeerState> GetStateAsync(CancellationToken cancellationToken) =>
        Source?.GetStateAsync(cancellationToken) ?? Sink!.GetStateAsync(cancellationToken);

    /// <summary>Waits until the process is asked to stop (Ctrl+C, SIGTERM).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            await _app.StopAsync(timeout.Token);
        }

        await _app.DisposeAsync();
        await DisposeStoresAsync(Source, Sink, _temporaryDirectory);
    }

    private static async Task DisposeStoresAsync(CountySource? source, CitySink? sink, string? temporary)
    {
        if (source is not null)
        {
            await source.DisposeAsync();
        }

        if (sink is not null)
        {
            await sink.DisposeAsync();
        }

        if (temporary is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(temporary, recursive: true);
            }
            catch (IOException)
            {
                // A file still open on some platform: leave the temporary folder to the OS.
            }
        }
    }
}
