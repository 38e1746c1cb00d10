using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using GridExchange.V1;
using Microsoft.Extensions.Options;

namespace GridExchange.Hub.Sync;

/// <summary>
/// One gRPC channel per peer endpoint, reused by every run (channels are expensive). No gRPC
/// service-config retries: the peer's resilience pipeline is the one owner of retries (STYLE 10).
/// </summary>
internal sealed class PeerChannels(IOptions<HubOptions> options) : IDisposable
{
    private readonly ConcurrentDictionary<string, GrpcChannel> _channels = new(StringComparer.Ordinal);

    /// <summary>A client of <paramref name="peer"/>'s PeerService.</summary>
    public PeerService.PeerServiceClient ClientFor(Peer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var channel = _channels.GetOrAdd(peer.Endpoint, endpoint => GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                ConnectTimeout = options.Value.Sync.AttemptTimeout,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
                KeepAlivePingDelay = TimeSpan.FromSeconds(30),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            },
            // Our cancellation (a timeout, the run's limit, shutdown) surfaces as
            // OperationCanceledException, which Polly's timeouts recognise as theirs.
            ThrowOperationCanceledOnCancellation = true,
            MaxReceiveMessageSize = 4 * 1024 * 1024,
            MaxSendMessageSize = 4 * 1024 * 1024,
        }));
        return new PeerService.PeerServiceClient(channel);
    }

    /// <summary>The headers of a call to <paramref name="peerId"/>: the hub's bearer token for it, if configured.</summary>
    public Metadata Headers(string peerId)
    {
        var token = options.Value.Sync.TokenFor(peerId);
        return token.Length == 0 ? [] : new Metadata { { "authorization", "Bearer " + token } };
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }

        _channels.Clear();
    }
}
