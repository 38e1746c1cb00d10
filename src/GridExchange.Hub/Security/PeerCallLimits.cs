using System.Globalization;
using System.Threading.RateLimiting;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using GridExchange.Domain.Errors;
using Microsoft.Extensions.Options;

namespace GridExchange.Hub.Security;

/// <summary>
/// The per-peer limits (<see cref="HubOptions.RateLimitPerSecond"/>,
/// <see cref="HubOptions.RateLimitBurst"/>, <see cref="HubOptions.MaxStreamsPerPeer"/>): a token
/// bucket per peer for calls and a count of open streams per peer.
/// </summary>
/// <remarks>
/// Both are <see cref="PartitionedRateLimiter{TResource}"/>s keyed by peer id: a peer's limiter
/// is created on its first call and dropped once idle (bucket full, no stream open) for about
/// ten seconds, so memory follows the peers calling now, not every peer that ever called. The
/// buckets run on the limiter's own monotonic clock (refilled every 100 ms), not on the injected
/// <see cref="TimeProvider"/>: the BCL limiters take no clock.
/// </remarks>
internal sealed class PeerCallLimits : IDisposable
{
    /// <summary>The shortest retry delay advised: a bucket refills in 100 ms steps.</summary>
    internal static readonly TimeSpan MinimumRetryDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>The delay advised when a stream limit is hit: streams end when their peer ends them, not on a schedule.</summary>
    internal static readonly TimeSpan StreamRetryDelay = TimeSpan.FromSeconds(5);

    private readonly PartitionedRateLimiter<string>? _calls;
    private readonly PartitionedRateLimiter<string>? _streams;
    private readonly int _perSecond;
    private readonly int _burst;
    private readonly int _maxStreams;

    public PeerCallLimits(IOptions<HubOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _perSecond = Math.Max(0, options.Value.RateLimitPerSecond);
        _burst = Math.Max(1, options.Value.RateLimitBurst);
        _maxStreams = Math.Max(0, options.Value.MaxStreamsPerPeer);
        if (_perSecond > 0)
        {
            var bucket = new TokenBucketRateLimiterOptions
            {
                TokenLimit = _burst,
                TokensPerPeriod = _perSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            };
            _calls = PartitionedRateLimiter.Create<string, string>(
                peer => RateLimitPartition.GetTokenBucketLimiter(peer, _ => bucket), StringComparer.Ordinal);
        }

        if (_maxStreams > 0)
        {
            var streams = new ConcurrencyLimiterOptions { PermitLimit = _maxStreams, QueueLimit = 0 };
            _streams = PartitionedRateLimiter.Create<string, string>(
                peer => RateLimitPartition.GetConcurrencyLimiter(peer, _ => streams), StringComparer.Ordinal);
        }
    }

    /// <summary>Takes a token from <paramref name="peerId"/>'s bucket.</summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED, RATE_LIMITED, with RetryInfo: the bucket is empty.</exception>
    public void AdmitCall(string peerId)
    {
        if (_calls is null)
        {
            return;
        }

        using var lease = _calls.AttemptAcquire(peerId);
        if (!lease.IsAcquired)
        {
            var delay = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) && after > MinimumRetryDelay ? after : MinimumRetryDelay;
            throw Limited(peerId, "calls_per_second", _perSecond,
                $"Peer '{peerId}' made more than {_perSecond} calls per second (bursts up to {_burst}); retry after the delay in RetryInfo.", delay);
        }
    }

    /// <summary>Counts a stream of <paramref name="peerId"/> as open until the returned lease is disposed.</summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED, RATE_LIMITED, with RetryInfo: the peer has its maximum of streams open.</exception>
    public IDisposable? OpenStream(string peerId)
    {
        if (_streams is null)
        {
            return null;
        }

        var lease = _streams.AttemptAcquire(peerId);
        if (lease.IsAcquired)
        {
            return lease;
        }

        lease.Dispose();
        throw Limited(peerId, "open_streams", _maxStreams,
            $"Peer '{peerId}' already has {_maxStreams} streams (SubscribeChanges, ExportSnapshot) open; close one, or retry after the delay in RetryInfo.",
            StreamRetryDelay);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _calls?.Dispose();
        _streams?.Dispose();
    }

    private static RpcException Limited(string peerId, string limit, int value, string message, TimeSpan retryAfter)
    {
        var info = new ErrorInfo { Reason = ErrorReasons.RateLimited, Domain = ErrorReasons.Domain };
        info.Metadata.Add("peer", peerId);
        info.Metadata.Add("limit", limit);
        info.Metadata.Add("value", value.ToString(CultureInfo.InvariantCulture));
        return new Google.Rpc.Status
        {
            Code = (int)Code.ResourceExhausted,
            Message = message,
            Details = { Any.Pack(info), Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(retryAfter) }) },
        }.ToRpcException();
    }
}
