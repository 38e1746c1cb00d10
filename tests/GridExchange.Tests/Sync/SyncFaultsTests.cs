using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using GridExchange.Domain.Sync;
using GridExchange.Hub.Sync;
using Polly.CircuitBreaker;
using Polly.Timeout;
using Status = Grpc.Core.Status;

namespace GridExchange.Tests.Sync;

public sealed class SyncFaultsTests
{
    [Theory]
    [InlineData(StatusCode.Unavailable, true)]
    [InlineData(StatusCode.DeadlineExceeded, true)]
    [InlineData(StatusCode.ResourceExhausted, true)]
    [InlineData(StatusCode.Aborted, true)]
    [InlineData(StatusCode.PermissionDenied, false)]
    [InlineData(StatusCode.InvalidArgument, false)]
    [InlineData(StatusCode.Unauthenticated, false)]
    [InlineData(StatusCode.FailedPrecondition, false)]
    [InlineData(StatusCode.NotFound, false)]
    [InlineData(StatusCode.Unimplemented, false)]
    [InlineData(StatusCode.AlreadyExists, false)]
    [InlineData(StatusCode.OutOfRange, false)]
    [InlineData(StatusCode.DataLoss, false)]
    [InlineData(StatusCode.Internal, false)]
    [InlineData(StatusCode.Cancelled, false)]
    [InlineData(StatusCode.Unknown, false)]
    public void IsTransient_StatusFromThePeer_RetriesOnlyTransientCodes(StatusCode code, bool expected) =>
        Assert.Equal(expected, SyncFaults.IsTransient(code, transportFailure: false));

    [Theory]
    [InlineData(StatusCode.Internal, true)]
    [InlineData(StatusCode.Cancelled, true)]
    [InlineData(StatusCode.Unknown, true)]
    [InlineData(StatusCode.PermissionDenied, false)]
    [InlineData(StatusCode.InvalidArgument, false)]
    [InlineData(StatusCode.FailedPrecondition, false)]
    public void IsTransient_StatusMadeUpFromABrokenTransport_RetriesResetsOnly(StatusCode code, bool expected) =>
        Assert.Equal(expected, SyncFaults.IsTransient(code, transportFailure: true));

    [Fact]
    public void RetryDelay_HonoursRetryInfoUpToTheCap()
    {
        Assert.Equal(TimeSpan.FromSeconds(2), SyncFaults.RetryDelay(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30)));
        Assert.Equal(TimeSpan.FromSeconds(30), SyncFaults.RetryDelay(TimeSpan.FromHours(1), TimeSpan.FromSeconds(30)));
        Assert.Null(SyncFaults.RetryDelay(null, TimeSpan.FromSeconds(30)));
        Assert.Null(SyncFaults.RetryDelay(TimeSpan.FromSeconds(-1), TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void RetryInfoDelay_ReadsTheStatusDetailsTrailer()
    {
        var e = Rich(Code.ResourceExhausted, "RATE_LIMITED", Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(1500)) }));

        Assert.Equal(TimeSpan.FromMilliseconds(1500), RpcFailures.RetryInfoDelay(e));
        Assert.Equal("RATE_LIMITED", RpcFailures.Reason(e));
        Assert.True(RpcFailures.IsTransient(e));
        Assert.StartsWith("RESOURCE_EXHAUSTED RATE_LIMITED: ", RpcFailures.Describe(e), StringComparison.Ordinal);
    }

    [Fact]
    public void RetryInfoDelay_NoneOrMalformed_IsNull()
    {
        Assert.Null(RpcFailures.RetryInfoDelay(new RpcException(new Status(StatusCode.Unavailable, "dropped"))));
        Assert.Null(RpcFailures.RetryInfoDelay(Rich(Code.Unavailable, "SERVICE_UNAVAILABLE")));
        var garbage = new RpcException(new Status(StatusCode.Unavailable, "x"), new Metadata { { "grpc-status-details-bin", new byte[] { 0xFF, 0x01, 0x02 } } });
        Assert.Null(RpcFailures.RetryInfoDelay(garbage));
        Assert.Null(RpcFailures.RetryInfoDelay(new TimeoutRejectedException()));
        Assert.Null(RpcFailures.RetryInfoDelay(null));
    }

    [Fact]
    public void IsTransient_ResetStream_IsRetriedButThePeersOwnInternalIsNot()
    {
        var reset = new RpcException(new Status(StatusCode.Internal, "Error reading next message.", new IOException("The response ended prematurely.")));
        Assert.True(RpcFailures.IsTransportFailure(reset));
        Assert.True(RpcFailures.IsTransient(reset));

        var bug = Rich(Code.Internal, "BUG");
        Assert.False(RpcFailures.IsTransportFailure(bug));
        Assert.False(RpcFailures.IsTransient(bug));
    }

    [Fact]
    public void IsTransient_PipelineOutcomes()
    {
        Assert.True(RpcFailures.IsTransient(new TimeoutRejectedException()));
        Assert.False(RpcFailures.IsTransient(new BrokenCircuitException()));
        Assert.False(RpcFailures.IsTransient(Rich(Code.PermissionDenied, "ROLE_NOT_GRANTED")));
        Assert.True(RpcFailures.IsResyncRequired(Rich(Code.FailedPrecondition, "RESYNC_REQUIRED")));
        Assert.False(RpcFailures.IsResyncRequired(Rich(Code.FailedPrecondition, "ILLEGAL_TRANSITION")));
    }

    [Theory]
    [InlineData(StatusCode.PermissionDenied, "PERMISSION_DENIED")]
    [InlineData(StatusCode.Unavailable, "UNAVAILABLE")]
    [InlineData(StatusCode.DeadlineExceeded, "DEADLINE_EXCEEDED")]
    [InlineData(StatusCode.ResourceExhausted, "RESOURCE_EXHAUSTED")]
    public void CodeName_IsTheCanonicalName(StatusCode code, string expected) => Assert.Equal(expected, RpcFailures.CodeName(code));

    private static RpcException Rich(Code code, string reason, params Any[] extra)
    {
        var status = new Google.Rpc.Status
        {
            Code = (int)code,
            Message = "m",
            Details = { Any.Pack(new ErrorInfo { Reason = reason, Domain = "gridexchange.v1" }) },
        };
        status.Details.Add(extra);
        return status.ToRpcException();
    }
}
