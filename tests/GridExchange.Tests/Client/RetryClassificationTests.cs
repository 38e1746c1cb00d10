using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using GridExchange.Client;
using GridExchange.V1;

namespace GridExchange.Tests.Client;

/// <summary>
/// The client's reading of hub errors: which failures are retried (transient codes only,
/// RESOURCE_EXHAUSTED only with RetryInfo, DEADLINE_EXCEEDED only when safe), which never are,
/// and RESYNC_REQUIRED as its own outcome.
/// </summary>
public sealed class RetryClassificationTests
{
    [Theory]
    [InlineData(StatusCode.Unavailable, "SERVICE_UNAVAILABLE", true, RetryClassification.Transient)]
    [InlineData(StatusCode.Unavailable, "", false, RetryClassification.Transient)]
    [InlineData(StatusCode.ResourceExhausted, "RATE_LIMITED", true, RetryClassification.Transient)]
    [InlineData(StatusCode.ResourceExhausted, "", false, RetryClassification.Permanent)]
    [InlineData(StatusCode.Aborted, "", false, RetryClassification.Transient)]
    [InlineData(StatusCode.Aborted, "VERSION_CONFLICT", false, RetryClassification.Permanent)]
    [InlineData(StatusCode.InvalidArgument, "INVALID_CURSOR", false, RetryClassification.Permanent)]
    [InlineData(StatusCode.InvalidArgument, "DEADLINE_REQUIRED", true, RetryClassification.Permanent)]
    [InlineData(StatusCode.Unauthenticated, "CREDENTIAL_REVOKED", false, RetryClassification.Permanent)]
    [InlineData(StatusCode.PermissionDenied, "ROLE_NOT_GRANTED", true, RetryClassification.Permanent)]
    [InlineData(StatusCode.FailedPrecondition, "ILLEGAL_TRANSITION", false, RetryClassification.Permanent)]
    [InlineData(StatusCode.FailedPrecondition, "RESYNC_REQUIRED", false, RetryClassification.ResyncRequired)]
    [InlineData(StatusCode.NotFound, "NOT_FOUND", false, RetryClassification.Permanent)]
    [InlineData(StatusCode.AlreadyExists, "DUPLICATE", false, RetryClassification.Permanent)]
    [InlineData(StatusCode.Unimplemented, "NOT_YET_AVAILABLE", false, RetryClassification.Permanent)]
    [InlineData(StatusCode.Internal, "", false, RetryClassification.Permanent)]
    public void HubErrors_AreClassifiedAsTheContractSays(StatusCode code, string reason, bool retryInfo, RetryClassification expected)
    {
        var e = HubError(code, reason, retryInfo ? TimeSpan.FromSeconds(2) : null);
        Assert.Equal(expected, GridExchangeErrors.Classify(e, deadlineRetryable: true));
        Assert.Equal(reason, GridExchangeErrors.Reason(e));
        Assert.Equal(retryInfo ? TimeSpan.FromSeconds(2) : null, GridExchangeErrors.RetryDelay(e));
        Assert.Equal(expected == RetryClassification.ResyncRequired, GridExchangeErrors.IsResyncRequired(e));
    }

    [Fact]
    public void DeadlineExceeded_IsRetriedOnlyWhenSafe()
    {
        var e = new RpcException(new Grpc.Core.Status(StatusCode.DeadlineExceeded, "deadline"));
        Assert.Equal(RetryClassification.Transient, GridExchangeErrors.Classify(e, deadlineRetryable: true));
        Assert.Equal(RetryClassification.Permanent, GridExchangeErrors.Classify(e, deadlineRetryable: false));
    }

    [Fact]
    public void InternalOrCancelled_AreRetriedOnlyWhenTheTransportBroke()
    {
        var reset = new RpcException(new Grpc.Core.Status(StatusCode.Internal, "stream reset", new IOException("connection reset")));
        var cancelledByReset = new RpcException(new Grpc.Core.Status(StatusCode.Cancelled, "reset", new HttpRequestException("gone", new IOException("eof"))));
        var hubInternal = new RpcException(new Grpc.Core.Status(StatusCode.Internal, "bug"));
        Assert.Equal(RetryClassification.Transient, GridExchangeErrors.Classify(reset, false));
        Assert.Equal(RetryClassification.Transient, GridExchangeErrors.Classify(cancelledByReset, false));
        Assert.Equal(RetryClassification.Permanent, GridExchangeErrors.Classify(hubInternal, true));
        Assert.Equal(RetryClassification.Permanent, GridExchangeErrors.Classify(new RpcException(new Grpc.Core.Status(StatusCode.Cancelled, "by caller")), true));
    }

    [Fact]
    public void MalformedDetails_ReadAsNoReasonAndNoRetryInfo()
    {
        var trailers = new Metadata { { "grpc-status-details-bin", new byte[] { 0xff, 0x01, 0x02 } } };
        var e = new RpcException(new Grpc.Core.Status(StatusCode.ResourceExhausted, "x"), trailers);
        Assert.Equal("", GridExchangeErrors.Reason(e));
        Assert.Null(GridExchangeErrors.RetryDelay(e));
        Assert.Equal(RetryClassification.Permanent, GridExchangeErrors.Classify(e, true));
    }

    [Fact]
    public void SafeToRepeat_ReadsAndMutationsWithARequestId()
    {
        Assert.True(HubCallInterceptor.SafeToRepeat(new PullChangesRequest(), "PullChanges"));
        Assert.True(HubCallInterceptor.SafeToRepeat(new SubmitChangesRequest { RequestId = "r-1" }, "SubmitChanges"));
        Assert.False(HubCallInterceptor.SafeToRepeat(new SubmitChangesRequest(), "SubmitChanges"));
        Assert.False(HubCallInterceptor.SafeToRepeat(new Empty(), "DoSomething"));
    }

    [Fact]
    public void Backoff_NeverShortensRetryInfo_AndStaysUnderItsCap()
    {
        for (var i = 0; i < 1000; i++)
        {
            var asked = TimeSpan.FromMilliseconds(700);
            var delay = Backoff.AtLeast(asked);
            Assert.InRange(delay, asked, asked + TimeSpan.FromMilliseconds(70));
            var backoff = Backoff.Exponential(1 + (i % 12), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30));
            Assert.InRange(backoff, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>A hub-shaped error: status code, ErrorInfo in gridexchange.v1, optional RetryInfo.</summary>
    internal static RpcException HubError(StatusCode code, string reason, TimeSpan? retryAfter)
    {
        var status = new Google.Rpc.Status { Code = (int)code, Message = "test" };
        if (reason.Length > 0)
        {
            status.Details.Add(Any.Pack(new ErrorInfo { Domain = GridExchangeErrors.Domain, Reason = reason }));
        }

        if (retryAfter is { } delay)
        {
            status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(delay) }));
        }

        return status.ToRpcException();
    }
}
