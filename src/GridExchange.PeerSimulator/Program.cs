using GridExchange.PeerSimulator;

if (!SimulatorCommandLine.TryParse(args, out var options, out var error))
{
    if (!string.IsNullOrEmpty(error))
    {
        await Console.Error.WriteLineAsync(error);
    }

    await Console.Error.WriteLineAsync(SimulatorCommandLine.Usage);
    return string.IsNullOrEmpty(error) ? 0 : 2;
}

SimulatorHost host;
try
{
    host = await SimulatorHost.StartAsync(options!, logging => logging.AddSimpleConsole(c => c.SingleLine = true));
}
catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException)
{
    // A wrong --seeds or --data path, or a port in use: say what, without a stack trace.
    await Console.Error.WriteLineAsync($"The simulator could not start: {e.Message}");
    return 1;
}

await using var running = host;
var state = await host.GetStateAsync(CancellationToken.None);
Console.WriteLine($"Peer simulator: {options!.Role.ToString().ToLowerInvariant()} for region {options.RegionCode}, {state.TotalRecords} records");
Console.WriteLine($"PeerService listening on {host.Address} (HTTP/2 cleartext)");
if (host.AdminAddress is not null)
{
    Console.WriteLine($"Admin endpoint on {host.AdminAddress} (GET /admin/state, GET|PUT /admin/faults, PUT /admin/rate)");
}

Console.WriteLine($"Bearer token: {options.Token}");
await host.WaitForShutdownAsync();
return 0;
