using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GridExchange.Storage.Protection;

namespace GridExchange.Hub.Startup;

/// <summary>
/// The embedded store's generated keys: a JSON file shaped like the <c>GridExchange:Encryption</c>
/// section (so its content can be moved into configuration as it is), created once, readable and
/// writable by its owner only.
/// </summary>
internal static class EncryptionKeyFile
{
    /// <summary>
    /// Reads the keys at <paramref name="path"/>, or generates new ones and writes them there
    /// first. Two processes starting at once agree on one file: it is written under a temporary
    /// name and moved into place only if none is there yet.
    /// </summary>
    public static PayloadProtectionOptions LoadOrCreate(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (File.Exists(path))
        {
            return Load(path);
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var keyId = "local-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var keys = PayloadProtectionOptions.Generate(keyId);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        SecretFiles.Write(temporary, Serialize(keys, path), FileMode.CreateNew);
        try
        {
            File.Move(temporary, path, overwrite: false);
            return keys;
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
            return Load(path);
        }
    }

    /// <summary>Reads a key file.</summary>
    /// <exception cref="InvalidOperationException">The file holds no keys.</exception>
    public static PayloadProtectionOptions Load(string path)
    {
        var keys = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(path), optional: false, reloadOnChange: false).Build()
            .Get<PayloadProtectionOptions>() ?? new PayloadProtectionOptions();
        return keys.HasKeys
            ? keys
            : throw new InvalidOperationException($"The key file {Path.GetFullPath(path)} holds no keys; restore it from the backup of this store.");
    }

    private static string Serialize(PayloadProtectionOptions keys, string path)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("_", $"Encryption keys of the GridExchange store next to this file, generated {DateTimeOffset.UtcNow:yyyy-MM-dd}. "
                + "Without them its personal data cannot be read: back this file up with the database, keep it secret (owner-only), "
                + $"and see README, Security, for rotation. Path when written: {Path.GetFullPath(path)}");
            json.WriteString(nameof(PayloadProtectionOptions.ActiveKeyId), keys.ActiveKeyId);
            json.WriteStartObject(nameof(PayloadProtectionOptions.Keys));
            foreach (var (id, key) in keys.Keys)
            {
                json.WriteString(id, key);
            }

            json.WriteEndObject();
            json.WriteString(nameof(PayloadProtectionOptions.IndexKey), keys.IndexKey);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
