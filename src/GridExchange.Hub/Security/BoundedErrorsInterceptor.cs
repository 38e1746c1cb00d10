using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace GridExchange.Hub.Security;

/// <summary>
/// Keeps every error the hub sends small: an error's message, ErrorInfo metadata and
/// BadRequest descriptions are cut to a few hundred characters each.
/// </summary>
/// <remarks>
/// An error may quote what the request sent (e.g. NOT_FOUND names the key asked for). A request
/// field of 100,000 characters would otherwise come back three times over in the trailers
/// (<c>grpc-message</c> and <c>grpc-status-details-bin</c>), past the 64 KiB of headers an
/// HTTP/2 client accepts by default, and the client would see a broken connection — every call
/// on it failing — instead of the error. Registered first, so it bounds the errors of every
/// other interceptor too.
/// </remarks>
internal sealed class BoundedErrorsInterceptor : Interceptor
{
    /// <summary>The most characters an error's message keeps.</summary>
    internal const int MaxMessage = 1000;

    /// <summary>The most characters a metadata value, field name or description keeps.</summary>
    internal const int MaxValue = 200;

    // Below this many characters in all (message and trailers) an error is sent as it is.
    private const int Threshold = 4096;

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (RpcException e) when (IsLarge(e))
        {
            throw Bound(e);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (RpcException e) when (IsLarge(e))
        {
            throw Bound(e);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context);
        }
        catch (RpcException e) when (IsLarge(e))
        {
            throw Bound(e);
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context);
        }
        catch (RpcException e) when (IsLarge(e))
        {
            throw Bound(e);
        }
    }

    internal static bool IsLarge(RpcException e) =>
        e.Status.Detail.Length + e.Trailers.Sum(t => t.Key.Length + (t.IsBinary ? t.ValueBytes.Length : t.Value.Length)) > Threshold;

    /// <summary>The same error with its texts cut; other trailers than the status are dropped.</summary>
    internal static RpcException Bound(RpcException e)
    {
        if (e.GetRpcStatus() is not { } status)
        {
            return new RpcException(new Grpc.Core.Status(e.StatusCode, Cut(e.Status.Detail, MaxMessage)));
        }

        var bounded = new Google.Rpc.Status { Code = status.Code, Message = Cut(status.Message, MaxMessage) };
        foreach (var detail in status.Details)
        {
            if (detail.TryUnpack<ErrorInfo>(out var info))
            {
                var copy = new ErrorInfo { Reason = Cut(info.Reason, MaxValue), Domain = Cut(info.Domain, MaxValue) };
                foreach (var (key, value) in info.Metadata)
                {
                    copy.Metadata[Cut(key, MaxValue)] = Cut(value, MaxValue);
                }

                bounded.Details.Add(Any.Pack(copy));
            }
            else if (detail.TryUnpack<BadRequest>(out var badRequest))
            {
                var copy = new BadRequest();
                copy.FieldViolations.Add(badRequest.FieldViolations.Take(100).Select(v => new BadRequest.Types.FieldViolation
                {
                    Field = Cut(v.Field, MaxValue),
                    Description = Cut(v.Description, MaxValue),
                    Reason = Cut(v.Reason, MaxValue),
                }));
                bounded.Details.Add(Any.Pack(copy));
            }
            else if (detail.CalculateSize() <= MaxMessage)
            {
                bounded.Details.Add(detail);
            }
        }

        return bounded.ToRpcException();
    }

    private static string Cut(string value, int max)
    {
        if (value.Length <= max)
        {
            return value;
        }

        var keep = char.IsHighSurrogate(value[max - 2]) ? max - 2 : max - 1;
        return string.Concat(value.AsSpan(0, keep), "…");
    }
}
