using System.Collections;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using GridExchange.V1;

namespace GridExchange.Domain.Ingest;

/// <summary>
/// Walks every string of a change, whatever its type, for unpaired UTF-16 surrogates. Such a
/// string cannot be encoded as the UTF-8 protobuf requires (the encoder would silently replace
/// it), so the record stored would differ from the one validated. The per-field rules check
/// control characters and lengths; this walk guarantees no string field is missed.
/// </summary>
internal static class TextScan
{
    // Output-only envelope fields: ignored on submit and overwritten by the hub.
    private static readonly HashSet<string> Ignored = new(StringComparer.Ordinal) { "cursor", "region_code", "source_system" };

    public static void ReportUnpairedSurrogates(IMessage message, IngestContext context) =>
        Walk(message, string.Empty, context);

    private static void Walk(IMessage message, string prefix, IngestContext context)
    {
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            var path = prefix.Length == 0 ? field.Name : prefix + "." + field.Name;
            // Output only and overwritten by the hub: the envelope's cursor, region_code and source_system, and meta.source_system.
            if ((prefix.Length == 0 && Ignored.Contains(path)) || (message is EntityMeta && field.FieldNumber == EntityMeta.SourceSystemFieldNumber))
            {
                continue;
            }

            if (field.FieldType is not (FieldType.String or FieldType.Message) || field.IsMap)
            {
                continue;
            }

            var value = field.Accessor.GetValue(message);
            if (field.IsRepeated)
            {
                var index = 0;
                foreach (var item in (IList)value)
                {
                    Visit(item, IngestContext.Item(path, index++), context);
                }
            }
            else
            {
                Visit(value, path, context);
            }
        }
    }

    private static void Visit(object? value, string path, IngestContext context)
    {
        switch (value)
        {
            case string text when HasUnpairedSurrogate(text):
                context.AddUnpairedSurrogate(path);
                break;
            case IMessage nested:
                Walk(nested, path, context);
                break;
        }
    }

    public static bool HasUnpairedSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return true;
            }
        }

        return false;
    }
}
