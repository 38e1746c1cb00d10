using Grpc.Core;
using Grpc.Core.Interceptors;
using GridExchange.Domain.Security;
using GridExchange.Storage;
using GridExchange.V1;

namespace GridExchange.IntegrationTests.Infrastructure;

/// <summary>
/// Credentials of the tests' peers. Every hub a test starts gets the peer
/// <see cref="Province"/> (CONSUMER and ISSUER over the whole province, every data class), and
/// every registered peer — the sample's sources, <c>hub-admin</c>, the province peer — gets the
/// token <see cref="TokenFor"/> computes, stored through the hub's own store as the admin RPCs
/// would store it (by hash).
/// </summary>
public static class TestPeers
{
    /// <summary>The default caller of the tests' channels.</summary>
    public const string Province = "test-province";

    private static readonly byte[] Key = "gridexchange-integration-test-key-0123456789"u8.ToArray();

    /// <summary>The test token of <paramref name="peerId"/> (deterministic, so any test can compute it).</summary>
    public static string TokenFor(string peerId) => BearerTokens.Derive(Key, "test", peerId, "");

    /// <summary>Metadata carrying <paramref name="peerId"/>'s token.</summary>
    public static Metadata As(string peerId) => new() { { "authorization", "Bearer " + TokenFor(peerId) } };

    /// <summary>Registers <see cref="Province"/> and issues the test token of every registered peer.</summary>
    public static async Task RegisterAsync(IHubStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        await store.UpsertPeerAsync(new Peer
        {
            Id = Province,
            Name = "Test province platform",
            Level = RegionLevel.Province,
            RegionCode = "370000000000",
            Roles = { PeerRole.Consumer, PeerRole.Issuer },
            DataClasses = { DataClass.S1, DataClass.S2, DataClass.S3, DataClass.S4 },
            Enabled = true,
        }, cancellationToken);

        string? after = null;
        while (true)
        {
            var page = await store.ListPeersAsync(after, 100, cancellationToken);
            foreach (var peer in page)
            {
                await IssueAsync(store, peer.Id, cancellationToken);
            }

            if (page.Count < 100)
            {
                return;
            }

            after = page[^1].Id;
        }
    }

    /// <summary>Stores the test token of <paramref name="peerId"/> (a peer a test registers itself).</summary>
    public static Task IssueAsync(IHubStore store, string peerId, CancellationToken cancellationToken) =>
        store.IssueCredentialAsync(peerId, BearerTokens.Hash(TokenFor(peerId)), revokeOthers: false, cancellationToken);

    /// <summary>
    /// A call invoker that authenticates every call: as the peer named by the request's
    /// <c>source_system</c> (a source submits only as itself), otherwise as
    /// <paramref name="defaultPeer"/>. A call that sets its own <c>authorization</c> keeps it.
    /// </summary>
    public static CallInvoker Authenticated(ChannelBase channel, string defaultPeer = Province)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return channel.Intercept(new TokenInterceptor(defaultPeer));
    }

    private sealed class TokenInterceptor(string defaultPeer) : Interceptor
    {
        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
            TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation) =>
            continuation(request, WithToken(request, context));

        public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
            TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
            AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation) =>
            continuation(request, WithToken(request, context));

        private ClientInterceptorContext<TRequest, TResponse> WithToken<TRequest, TResponse>(
            TRequest request, ClientInterceptorContext<TRequest, TResponse> context)
            where TRequest : class
            where TResponse : class
        {
            if (context.Options.Headers?.Any(h => h.Key == "authorization") == true)
            {
                return context;
            }

            var peer = request switch
            {
                SubmitChangesRequest submit when submit.SourceSystem.Length > 0 => submit.SourceSystem,
                GetSourceCheckpointRequest checkpoint when checkpoint.SourceSystem.Length > 0 => checkpoint.SourceSystem,
                _ => defaultPeer,
            };
            var headers = new Metadata();
            foreach (var entry in context.Options.Headers ?? [])
            {
                headers.Add(entry);
            }

            headers.Add("authorization", "Bearer " + TokenFor(peer));
            return new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, context.Options.WithHeaders(headers));
        }
    }
}
