using System.Reflection;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using GridExchange.Domain.Errors;
using GridExchange.Hub.Services;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GridExchange.Hub.Security;

/// <summary>
/// Binds every gRPC service as grpc-dotnet's own provider does (the service's
/// <see cref="BindServiceMethodAttribute"/>), except that a request body that is not a
/// well-formed message of the method's request type — truncated, wrong wire types, a string
/// that is not UTF-8 — fails with INVALID_ARGUMENT, reason INVALID_FORMAT.
/// </summary>
/// <remarks>
/// grpc-dotnet parses the request before any interceptor runs and answers a parse failure with
/// UNKNOWN ("Exception was thrown by handler") and an error-level log line with a stack trace,
/// so that anyone able to reach the port could fill the hub's error log with garbage. The
/// request marshaller of each method is wrapped to turn the parser's exception into a status
/// instead; responses, routes, handlers and endpoint metadata are bound exactly as before.
/// </remarks>
internal sealed class MalformedRequestMethodProvider<TService> : IServiceMethodProvider<TService>
    where TService : class
{
    /// <inheritdoc />
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (FindBindMethod(typeof(TService)) is not { } bind)
        {
            return;
        }

        var binder = new Binder(context, bind.GetParameters()[1].ParameterType);
        try
        {
            bind.Invoke(null, [binder, null]);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw new InvalidOperationException($"Error binding gRPC service '{typeof(TService).Name}'.", e.InnerException);
        }
    }

    // As grpc-dotnet finds it: the attribute on the service or a base type, else the generated
    // BindService beside the generated base class.
    private static MethodInfo? FindBindMethod(Type serviceType)
    {
        for (var type = serviceType; type is not null; type = type.BaseType)
        {
            if (type.GetCustomAttribute<BindServiceMethodAttribute>() is { } attribute)
            {
                return attribute.BindType.GetMethod(
                    attribute.BindMethodName, BindingFlags.Public | BindingFlags.Static, binder: null, [typeof(ServiceBinderBase), type], null);
            }
        }

        var baseType = serviceType.BaseType;
        while (baseType?.BaseType?.BaseType is not null)
        {
            baseType = baseType.BaseType;
        }

        return baseType?.DeclaringType?.GetMethod(
            "BindService", BindingFlags.Public | BindingFlags.Static, binder: null, [typeof(ServiceBinderBase), baseType], null);
    }

    private static Method<TRequest, TResponse> Guarded<TRequest, TResponse>(Method<TRequest, TResponse> method)
        where TRequest : class
        where TResponse : class
    {
        var parse = method.RequestMarshaller.ContextualDeserializer;
        var marshaller = new Marshaller<TRequest>(method.RequestMarshaller.ContextualSerializer, context =>
        {
            try
            {
                return parse(context);
            }
            catch (InvalidProtocolBufferException e)
            {
                throw RpcErrors.Status(StatusCode.InvalidArgument, ErrorReasons.InvalidFormat,
                    $"The request is not a well-formed {typeof(TRequest).Name} message: {e.Message}",
                    new Dictionary<string, string> { ["method"] = method.FullName });
            }
        });
        return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, marshaller, method.ResponseMarshaller);
    }

    /// <summary>grpc-dotnet's ProviderServiceBinder, with <see cref="Guarded"/> request marshallers.</summary>
    private sealed class Binder(ServiceMethodProviderContext<TService> context, Type declaringType) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Model<UnaryServerMethod<TService, TRequest, TResponse>>(method.Name, [typeof(TRequest), typeof(ServerCallContext)]);
            context.AddUnaryMethod(Guarded(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Model<ClientStreamingServerMethod<TService, TRequest, TResponse>>(
                method.Name, [typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext)]);
            context.AddClientStreamingMethod(Guarded(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Model<ServerStreamingServerMethod<TService, TRequest, TResponse>>(
                method.Name, [typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)]);
            context.AddServerStreamingMethod(Guarded(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Model<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(
                method.Name, [typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)]);
            context.AddDuplexStreamingMethod(Guarded(method), metadata, invoker);
        }

        private (TDelegate Invoker, List<object> Metadata) Model<TDelegate>(string name, Type[] parameters)
            where TDelegate : Delegate
        {
            var handler = FindHandler(name, parameters)
                ?? throw new InvalidOperationException($"Could not find '{name}' on {typeof(TService)}.");
            var metadata = new List<object>();
            // Type attributes first (lower priority), then the method's, then POST only.
            metadata.AddRange(typeof(TService).GetCustomAttributes(inherit: true));
            metadata.AddRange(handler.GetCustomAttributes(inherit: true));
            metadata.Add(new HttpMethodMetadata(["POST"], acceptCorsPreflight: true));
            return ((TDelegate)Delegate.CreateDelegate(typeof(TDelegate), handler), metadata);
        }

        // The public instance method overriding the generated base's virtual method (a method
        // hiding it by name is skipped, as grpc-dotnet does).
        private MethodInfo? FindHandler(string name, Type[] parameters)
        {
            for (var type = typeof(TService); type is not null; type = type.BaseType)
            {
                var method = type.GetMethod(name, BindingFlags.Public | BindingFlags.Instance, binder: null, parameters, modifiers: null);
                if (method is null)
                {
                    return null;
                }

                if (method.IsVirtual && method.GetBaseDefinition()?.DeclaringType == declaringType)
                {
                    return method;
                }
            }

            return null;
        }
    }
}

/// <summary>Registers <see cref="MalformedRequestMethodProvider{TService}"/>.</summary>
internal static class MalformedRequests
{
    /// <summary>
    /// Replaces grpc-dotnet's default provider (added by <c>AddGrpc</c>) with
    /// <see cref="MalformedRequestMethodProvider{TService}"/>; call
    /// after every <c>AddGrpc…</c> registration.
    /// </summary>
    public static void UseForAllServices(IServiceCollection services)
    {
        var defaults = services
            .Where(d => d.ServiceType == typeof(IServiceMethodProvider<>) && d.ImplementationType?.Name.StartsWith("BinderServiceMethodProvider", StringComparison.Ordinal) == true)
            .ToList();
        if (defaults.Count == 0)
        {
            throw new InvalidOperationException("grpc-dotnet's BinderServiceMethodProvider is not registered: call AddGrpc first.");
        }

        foreach (var descriptor in defaults)
        {
            services.Remove(descriptor);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IServiceMethodProvider<>), typeof(MalformedRequestMethodProvider<>)));
    }
}
