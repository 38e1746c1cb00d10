using Google.Rpc;
using Grpc.Core;

namespace GridExchange.IntegrationTests.Infrastructure;

/// <summary>Asserts on the machine-readable shape of hub errors.</summary>
public static class ErrorAssert
{
    /// <summary>
    /// Awaits <paramref name="call"/>, expects <paramref name="code"/> with an ErrorInfo of
    /// <paramref name="reason"/> in domain gridexchange.v1, and returns the rich status.
    /// </summary>
    public static async Task<Google.Rpc.Status> ThrowsAsync(Func<Task> call, StatusCode code, string reason)
    {
        var e = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(code, e.StatusCode);
        var status = e.GetRpcStatus();
        Assert.NotNull(status);
        var info = status.GetDetail<ErrorInfo>();
        Assert.NotNull(info);
        Assert.Equal(reason, info.Reason);
        Assert.Equal("gridexchange.v1", info.Domain);
        return status;
    }

    /// <summary>Like <see cref="ThrowsAsync"/> for INVALID_ARGUMENT, also expecting a BadRequest violation on <paramref name="field"/>.</summary>
    public static async Task InvalidArgumentAsync(Func<Task> call, string field, string reason)
    {
        var status = await ThrowsAsync(call, StatusCode.InvalidArgument, reason);
        var badRequest = status.GetDetail<BadRequest>();
        Assert.NotNull(badRequest);
        var violation = Assert.Single(badRequest.FieldViolations);
        Assert.Equal(field, violation.Field);
        Assert.Equal(reason, violation.Reason);
        Assert.False(string.IsNullOrWhiteSpace(violation.Description));
    }
}
