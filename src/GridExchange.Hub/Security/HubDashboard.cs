using System.Net;
using Hangfire;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace GridExchange.Hub.Security;

/// <summary>
/// The operations listener: loopback, HTTP/1.1 (browsers and scrapers do not speak HTTP/2
/// without TLS, which is all the gRPC listener serves). It serves the Hangfire dashboard, admin
/// only (<see cref="DashboardAuthorization"/>), and the Prometheus scrape and health endpoints
/// (<see cref="Operations.Telemetry"/>). Nothing else is served there, and none of it is served
/// on the gRPC listener.
/// </summary>
internal sealed class HubDashboard
{
    /// <summary>Where the dashboard is served on its listener.</summary>
    public const string PathBase = "/hangfire";

    private ListenOptions? _listener;

    /// <summary>Whether the dashboard has a listener (<see cref="HubOptions.DashboardPort"/> not negative).</summary>
    public bool Enabled => _listener is not null;

    /// <summary>The port the dashboard listens on once the hub has started (null when off).</summary>
    public int? Port => (_listener?.EndPoint as IPEndPoint)?.Port;

    /// <summary>Adds the dashboard's listener, unless <paramref name="port"/> is negative.</summary>
    public void Listen(KestrelServerOptions kestrel, int port)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        if (port < 0)
        {
            return;
        }

        kestrel.Listen(IPAddress.Loopback, port, listen =>
        {
            listen.Protocols = HttpProtocols.Http1;
            _listener = listen;
        });
    }

    /// <summary>Serves the dashboard on its listener: <see cref="PathBase"/>, <c>/</c> redirects there, anything else is 404.</summary>
    public void Map(IApplicationBuilder app, PeerAuthenticator authenticator)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (!Enabled)
        {
            return;
        }

        app.MapWhen(IsDashboardRequest, dashboard =>
        {
            // Metrics and health for operators' scrapers and probes (no token: loopback only).
            Operations.Telemetry.Map(dashboard);
            dashboard.UseHangfireDashboard(PathBase, new DashboardOptions
            {
                // The loopback listener is the "local requests only" rule; the token is the rest.
                Authorization = [],
                AsyncAuthorization = [new DashboardAuthorization(authenticator)],
                DisplayStorageConnectionString = false,
                DashboardTitle = "GridExchange hub jobs",
                AppPath = null,
            });
            dashboard.Run(context =>
            {
                if (context.Request.Path == "/")
                {
                    context.Response.Redirect(PathBase);
                }
                else
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                }

                return Task.CompletedTask;
            });
        });
    }

    private bool IsDashboardRequest(HttpContext context) => Port is { } port && context.Connection.LocalPort == port;
}
