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
    /// first. Processes (and threads) starting at once agree on one file: the check and the
    /// write happen under an exclusive lock file beside it, and the file is written under a
    /// temporary name and moved into place, so a reader never sees half of it.
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
        var lockPath = Path.Combine(directory, $".{Path.GetFileName(path)}.lock");
        using var gate = Lock(lockPath);
        if (File.Exists(path))
        {
            // Another process wrote the keys meanwhile; this one may have re-created the lock file.
            File.Delete(lockPath);
            return Load(path);
        }

        var keyId = "local-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var keys = PayloadProtectionOptions.Generate(keyId);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        SecretFiles.Write(temporary, Serialize(keys, path), FileMode.CreateNew);
        File.Move(temporary, path, overwrite: false);
        // Removed while still held: a process waiting on it finds the keys file once it gets the
        // lock, and one arriving later finds the keys file before it looks for a lock.
        File.Delete(lockPath);
        return keys;
    }

    // An exclusive lock (FileShare.None is an flock on Unix, held per open file, so it excludes
    // other threads of this process as well as other processes); waits up to 30 s.
    private static FileStream Lock(string lockPath)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }
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
