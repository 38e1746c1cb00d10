using Grpc.Core;
using Grpc.Core.Interceptors;
using GridExchange.Domain.Errors;
using GridExchange.Hub.Services;
using Microsoft.Extensions.Options;

namespace GridExchange.Hub.Security;

/// <summary>
/// With <see cref="HubOptions.ShouldRequireDeadlines"/>, refuses a call to the contract's
/// services that carries no deadline (<c>grpc-timeout</c>) with INVALID_ARGUMENT,
/// DEADLINE_REQUIRED, so that no forgotten call holds a connection, a database read or a
/// snapshot open for ever.
/// </summary>
/// <remarks>
/// <c>SubscribeChanges</c> is exempt: it is a tail that stays open by design, and a deadline
/// would only make every subscriber reconnect on a timer. Dead subscribers are found without
/// one: the stream's heartbeats, and HTTP/2 keep-alive pings on the connection
/// (<see cref="HubHost"/>), fail once the peer is gone. Health and reflection are open to
/// tools and load balancers that send no deadline. Calls over the HTTP/JSON routes (JSON
/// transcoding) cannot carry a deadline and are not refused.
/// </remarks>
internal sealed class DeadlineInterceptor(IOptions<HubOptions> options) : Interceptor
{
    /// <summary>Methods that are long-lived by design and never need a deadline.</summary>
    internal static readonly IReadOnlySet<string> Exempt = new HashSet<string>(StringComparer.Ordinal)
    {
        "/gridexchange.v1.ExchangeService/SubscribeChanges",
    };

    private readonly bool _required = options.Value.ShouldRequireDeadlines;

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, responseStream, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, responseStream, context);
    }

    // A call over the HTTP/JSON routes (JSON transcoding) is not refused: plain HTTP has no
    // grpc-timeout to send, so those routes (the read and pull RPCs only, short by design) are
    // bounded by the caller's and any proxy's HTTP timeouts instead, and are cancelled when the
    // caller goes away.
    private void Check(ServerCallContext context)
    {
        if (_required && context.Deadline == DateTime.MaxValue && MethodPolicy.IsProtected(context.Method) && !Exempt.Contains(context.Method)
            && !HttpJsonCalls.IsTranscoded(context))
        {
            throw RpcErrors.Status(StatusCode.InvalidArgument, ErrorReasons.DeadlineRequired,
                $"{context.Method} needs a deadline: set one on the call (grpc-timeout), e.g. 10–30 s for reads, 60 s for SubmitChanges.",
                new Dictionary<string, string> { ["method"] = context.Method });
        }
    }
}
