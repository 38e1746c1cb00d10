using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using GridExchange.Hub.Security;

namespace GridExchange.Tests.Security;

public sealed class BoundedErrorsInterceptorTests
{
    private static RpcException Error(string quoted) =>
        new Google.Rpc.Status
        {
            Code = (int)Code.InvalidArgument,
            Message = $"'{quoted}' is not a valid 12-digit region code.",
            Details =
            {
                Any.Pack(new ErrorInfo { Reason = "INVALID_CODE", Domain = "gridexchange.v1", Metadata = { ["field"] = "region_code", ["value"] = quoted } }),
                Any.Pack(new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = "region_code", Description = quoted, Reason = "INVALID_CODE" } } }),
                Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)) }),
            },
        }.ToRpcException();

    [Fact]
    public void ASmallError_IsLeftAsItIs() => Assert.False(BoundedErrorsInterceptor.IsLarge(Error("370602")));

    [Fact]
    public void AnErrorQuotingAHugeValue_IsCut_KeepingCodeReasonsAndDetails()
    {
        var large = Error(new string('9', 100_000));
        Assert.True(BoundedErrorsInterceptor.IsLarge(large));

        var bounded = BoundedErrorsInterceptor.Bound(large);
        Assert.Equal(StatusCode.InvalidArgument, bounded.StatusCode);
        Assert.False(BoundedErrorsInterceptor.IsLarge(bounded));
        var status = bounded.GetRpcStatus()!;
        Assert.True(status.Message.Length <= BoundedErrorsInterceptor.MaxMessage);
        var info = status.GetDetail<ErrorInfo>();
        Assert.Equal("INVALID_CODE", info.Reason);
        Assert.Equal("region_code", info.Metadata["field"]);
        Assert.True(info.Metadata["value"].Length <= BoundedErrorsInterceptor.MaxValue);
        var violation = Assert.Single(status.GetDetail<BadRequest>().FieldViolations);
        Assert.Equal("INVALID_CODE", violation.Reason);
        Assert.True(violation.Description.Length <= BoundedErrorsInterceptor.MaxValue);
        Assert.NotNull(status.GetDetail<RetryInfo>());
    }

    [Fact]
    public void AHugeErrorWithoutDetails_KeepsItsCode()
    {
        var bounded = BoundedErrorsInterceptor.Bound(new RpcException(new Grpc.Core.Status(StatusCode.NotFound, new string('x', 50_000))));
        Assert.Equal(StatusCode.NotFound, bounded.StatusCode);
        Assert.Equal(BoundedErrorsInterceptor.MaxMessage, bounded.Status.Detail.Length);
    }
}
