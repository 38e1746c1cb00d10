using Grpc.Core;

namespace GridExchange.Hub.Services;

/// <summary>
/// Tells calls over the gRPC wire protocol from HTTP/JSON calls that JSON transcoding turned
/// into the same RPC (the read and pull RPCs' <c>google.api.http</c> routes).
/// </summary>
internal static class HttpJsonCalls
{
    /// <summary>
    /// Whether <paramref name="context"/> is an HTTP/JSON call: every gRPC call carries the
    /// content type <c>application/grpc</c> (or <c>application/grpc+proto</c>), which grpc-dotnet
    /// requires; a transcoded call has <c>application/json</c> or none (a GET).
    /// </summary>
    /// <remarks>A context not hosted by ASP.NET Core (a unit test's) is no HTTP/JSON call.</remarks>
    public static bool IsTranscoded(ServerCallContext context)
    {
        Microsoft.AspNetCore.Http.HttpContext http;
        try
        {
            http = context.GetHttpContext();
        }
        catch (InvalidOperationException)
        {
            return false;
        }

        return http.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) != true;
    }
}
