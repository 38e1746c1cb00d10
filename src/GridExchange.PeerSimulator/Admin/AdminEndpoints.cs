using GridExchange.PeerSimulator.Faults;
using GridExchange.PeerSimulator.Services;
using GridExchange.PeerSimulator.Source;

namespace GridExchange.PeerSimulator.Admin;

/// <summary>
/// The admin endpoint (HTTP/1.1 JSON on its own loopback port, same bearer token): read and
/// replace the fault settings, set the generator's rate, and read the peer's state. For demos
/// and for tests that drive a simulator in another process.
/// </summary>
internal static class AdminEndpoints
{
    public static void Map(WebApplication app, SimulatorRuntime runtime)
    {
        var admin = app.MapGroup("/admin").AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            // Only on the admin port: the gRPC port serves PeerService alone.
            if (http.Connection.LocalPort != runtime.AdminPort)
            {
                return Results.NotFound();
            }

            var auth = http.RequestServices.GetRequiredService<BearerTokenInterceptor>();
            return auth.Accepts(http.Request.Headers.Authorization.ToString()) ? await next(context) : Results.Unauthorized();
        });

        admin.MapGet("/faults", (FaultPolicy policy) => Results.Ok(policy.Settings));
        admin.MapPut("/faults", (FaultSettings settings, FaultPolicy policy) =>
        {
            try
            {
                policy.Update(settings);
                return Results.Ok(policy.Settings);
            }
            catch (ArgumentException e)
            {
                return Results.BadRequest(new { error = e.Message });
            }
        });
        admin.MapPut("/rate", (RateRequest body, IServiceProvider services) =>
        {
            var generator = services.GetService<GeneratorService>();
            if (generator is null)
            {
                return Results.BadRequest(new { error = "Only a source generates changes." });
            }

            if (!double.IsFinite(body.Rate) || body.Rate < 0)
            {
                return Results.BadRequest(new { error = "rate must be 0 or more." });
            }

            generator.Rate = body.Rate;
            return Results.Ok(new { rate = generator.Rate });
        });
        admin.MapGet("/state", async (SimulatorRuntime runtime, CancellationToken cancellationToken) =>
        {
            var state = await runtime.GetStateAsync(cancellationToken);
            return Results.Ok(new
            {
                role = state.Role.ToString().ToLowerInvariant(),
                regionCode = state.RegionCode,
                position = state.Position,
                totalRecords = state.TotalRecords,
                records = state.Records.ToDictionary(p => p.Key.ToString(), p => p.Value),
                digests = state.Digests.ToDictionary(p => p.Key.ToString(), p => p.Value),
                directives = state.Directives,
                callsServed = runtime.Faults.Calls,
            });
        });
    }

    /// <summary>Body of PUT /admin/rate.</summary>
    /// <param name="Rate">Changes per second; 0 pauses the generator.</param>
    internal sealed record RateRequest(double Rate);
}
