using GridExchange.Hub;

var app = HubHost.Build(args);
var address = await HubHost.StartAsync(app, CancellationToken.None);
var store = HubHost.Store(app);
Console.WriteLine($"GridExchange hub listening on {address} (store: {store.Kind}; gRPC reflection and grpc.health.v1 enabled)");
if (HubHost.DashboardAddress(app) is { } dashboard)
{
    Console.WriteLine($"Hangfire dashboard on {dashboard}hangfire (the operator's token as Bearer or Basic password)");
}
await app.WaitForShutdownAsync();
