using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace Agno.Core
{
    /// <summary>
    /// A run's record as a store keeps it: a closed JSON format of names, statuses, times, keys,
    /// conflicts and error messages (never an exception object or a type name), so that another
    /// process can show what ran. Shared by every store.
    /// </summary>
    internal static class RunRecordJson
    {
        private const int Format = 1;

        public static string Write(RunRecord run)
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteNumber("format", Format);
                json.WriteBoolean("resumed", run.IsResumed);
                json.WritePropertyName("root");
                WriteNode(json, run.Root);
                json.WriteEndObject();
            }
            return Encoding.UTF8.GetString(buffer.ToArray());
        }

        private static void WriteNode(Utf8JsonWriter json, NodeRecord node)
        {
            json.WriteStartObject();
            json.WriteString("name", node.Name);
            json.WriteString("kind", node.Kind.ToString());
            json.WriteString("status", node.Status.ToString());
            if (node.StartedAt is DateTimeOffset started) json.WriteString("started", started.ToString("o", CultureInfo.InvariantCulture));
            json.WriteNumber("ticks", node.Duration.Ticks);
            WriteStrings(json, "keys", node.KeysChanged);
            json.WriteStartArray("conflicts");
            foreach (var c in node.Conflicts)
            {
                json.WriteStartObject();
                json.WriteString("key", c.Key);
                WriteStrings(json, "branches", c.Branches);
                if (c.Winner != null) json.WriteString("winner", c.Winner);
                json.WriteString("strategy", c.Strategy.ToString());
                if (c.Path != null) json.WriteString("path", c.Path);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("storeConflicts");
            foreach (var c in node.StoreConflicts)
            {
                json.WriteStartObject();
                json.WriteString("key", c.Key);
                json.WriteNumber("version", c.OtherVersion);
                json.WriteString("strategy", c.Strategy.ToString());
                if (c.Reducer != null) json.WriteString("reducer", c.Reducer);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            if (node.Error != null) WriteError(json, node.Error);
            if (node.Decision != null) json.WriteString("decision", node.Decision);
            if (node.Note != null) json.WriteString("note", node.Note);
            if (node.Attempts.Count > 0)
            {
                json.WriteStartArray("attempts");
                foreach (var a in node.Attempts)
                {
                    json.WriteStartObject();
                    json.WriteNumber("number", a.Number);
                    json.WriteString("started", a.StartedAt.ToString("o", CultureInfo.InvariantCulture));
                    json.WriteNumber("ticks", a.Duration.Ticks);
                    if (a.Error != null) WriteError(json, a.Error);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            json.WriteStartArray("children");
            foreach (var child in node.Children) WriteNode(json, child);
            json.WriteEndArray();
            json.WriteEndObject();
        }

        private static void WriteError(Utf8JsonWriter json, Exception error)
        {
            json.WriteStartObject("error");
            json.WriteString("id", ErrorIdOf(error));
            json.WriteString("message", error.Message);
            json.WriteEndObject();
        }

        private static Exception? ReadError(JsonElement element) => element.TryGetProperty("error", out var e)
            ? new RecordedErrorException(e.GetProperty("id").GetString()!, e.GetProperty("message").GetString()!)
            : null;

        private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
        {
            json.WriteStartArray(name);
            foreach (var v in values) json.WriteStringValue(v);
            json.WriteEndArray();
        }

        private static string ErrorIdOf(Exception error) => error switch
        {
            AgnoException agno => agno.ErrorId,
            OperationCanceledException _ => "AgnoStopped",
            _ => "AgnoFailed",
        };

        /// <summary>
        /// The run as stored. A run without a record (its process ended while it ran, or the store
        /// predates records) shows its status and the top-level nodes it completed.
        /// </summary>
        public static RunRecord Read(string? record, Guid runId, string name, string status, DateTimeOffset startedAt,
            IReadOnlyCollection<string> completedNodes, string sessionId, string store)
        {
            try
            {
                if (record == null)
                {
                    var root = new NodeRecord(name, NodeKind.Workflow, null);
                    root.Restore(Parse<NodeStatus>(status), startedAt, TimeSpan.Zero, null);
                    foreach (var node in completedNodes) root.AddChild(node, NodeKind.Step).Restore(NodeStatus.Completed, null, TimeSpan.Zero, null);
                    return new RunRecord(root, sessionId, runId, isResumed: false);
                }
                using var document = JsonDocument.Parse(record);
                var top = document.RootElement;
                if (top.GetProperty("format").GetInt32() != Format) throw new FormatException($"its format {top.GetProperty("format")} is not one this Agno reads.");
                return new RunRecord(ReadNode(top.GetProperty("root"), null, sessionId), sessionId, runId, top.GetProperty("resumed").GetBoolean());
            }
            catch (Exception e) when (e is FormatException || e is JsonException || e is InvalidOperationException || e is KeyNotFoundException || e is ArgumentException)
            {
                throw new StoreException("AgnoStoreValueUnreadable",
                    $"The record of run {runId} ('{name}') of session '{sessionId}' in store '{store}' cannot be loaded: {e.Message} Nothing was loaded or changed.", e);
            }
        }

        private static NodeRecord ReadNode(JsonElement element, NodeRecord? parent, string sessionId)
        {
            var name = element.GetProperty("name").GetString()!;
            var kind = Parse<NodeKind>(element.GetProperty("kind").GetString());
            var node = parent == null ? new NodeRecord(name, kind, null) : parent.AddChild(name, kind);
            DateTimeOffset? started = element.TryGetProperty("started", out var s)
                ? DateTimeOffset.ParseExact(s.GetString()!, "o", CultureInfo.InvariantCulture)
                : (DateTimeOffset?)null;
            Exception? error = ReadError(element);
            node.Restore(Parse<NodeStatus>(element.GetProperty("status").GetString()), started, TimeSpan.FromTicks(element.GetProperty("ticks").GetInt64()), error);
            node.KeysChanged = Strings(element.GetProperty("keys"));
            node.Conflicts = element.GetProperty("conflicts").EnumerateArray().Select(c => new MergeConflict(
                c.GetProperty("key").GetString()!, Strings(c.GetProperty("branches")),
                c.TryGetProperty("winner", out var w) ? w.GetString() : null, Parse<MergeStrategy>(c.GetProperty("strategy").GetString()),
                c.TryGetProperty("path", out var p) ? p.GetString() : null)).ToList();
            if (element.TryGetProperty("decision", out var decision)) node.Decision = decision.GetString();
            if (element.TryGetProperty("note", out var note)) node.Note = note.GetString();
            if (element.TryGetProperty("attempts", out var attempts))
            {
                foreach (var a in attempts.EnumerateArray())
                {
                    node.AddAttempt(new AttemptRecord(a.GetProperty("number").GetInt32(),
                        DateTimeOffset.Parse(a.GetProperty("started").GetString()!, CultureInfo.InvariantCulture),
                        TimeSpan.FromTicks(a.GetProperty("ticks").GetInt64()), ReadError(a)));
                }
            }
            node.StoreConflicts = element.GetProperty("storeConflicts").EnumerateArray().Select(c => new StoreConflict(
                sessionId, c.GetProperty("key").GetString()!, c.GetProperty("version").GetInt64(),
                Parse<MergeStrategy>(c.GetProperty("strategy").GetString()), c.TryGetProperty("reducer", out var r) ? r.GetString() : null)).ToList();
            foreach (var child in element.GetProperty("children").EnumerateArray()) ReadNode(child, node, sessionId);
            return node;
        }

        private static IReadOnlyList<string> Strings(JsonElement array) => array.EnumerateArray().Select(v => v.GetString()!).ToList();

        private static T Parse<T>(string? text) where T : struct =>
            Enum.TryParse<T>(text, ignoreCase: false, out var value) && Enum.IsDefined(typeof(T), value)
                ? value
                : throw new FormatException($"'{text}' is not a {typeof(T).Name}.");
    }
}
