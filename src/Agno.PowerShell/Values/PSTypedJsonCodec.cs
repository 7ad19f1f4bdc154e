using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Text.Json;
using Agno.Core;

namespace Agno.Values
{
    /// <summary>
    /// The store's typed JSON, taught PowerShell's objects: a property bag (PSCustomObject, or a
    /// deserialized object with its string form) is saved as its type names and its properties in
    /// order; a supported value PowerShell put notes on (a file's PSPath) as the value and its notes.
    /// Loading makes only such bags and wrappers around supported values; nothing else is instantiated.
    /// </summary>
    internal sealed class PSTypedJsonCodec : TypedJsonCodec
    {
        public static new PSTypedJsonCodec Instance { get; } = new PSTypedJsonCodec();

        protected override bool TryWriteOther(Utf8JsonWriter writer, object value, int depth)
        {
            if (!(value is PSObject pso)) return false;
            // Named by what it wraps: the user never made a PSObject.
            if (!(pso.BaseObject is PSCustomObject) && ValueTypes.Find(pso.BaseObject.GetType()) == null) throw Unstorable(pso.BaseObject.GetType());
            writer.WriteString("t", "pso");
            if (pso.BaseObject is PSCustomObject)
            {
                writer.WriteStartArray("types");
                foreach (var name in pso.TypeNames) writer.WriteStringValue(name);
                writer.WriteEndArray();
                if (DeserializedObject.IsDeserialized(pso)) writer.WriteString("str", pso.ToString());
                WriteProperties(writer, pso.Properties.ToList(), depth);
                return true;
            }
            writer.WritePropertyName("base");
            Write(writer, pso.BaseObject, depth + 1);
            WriteProperties(writer, PSValueCopier.NotesOf(pso), depth);
            return true;
        }

        private void WriteProperties(Utf8JsonWriter writer, IEnumerable<PSPropertyInfo> properties, int depth)
        {
            writer.WriteStartArray("v");
            foreach (var property in properties)
            {
                writer.WriteStartArray();
                writer.WriteStringValue(property.Name);
                WriteMember(writer, property.Value, property.Name, depth + 1);
                writer.WriteEndArray();
            }
            writer.WriteEndArray();
        }

        protected override bool TryReadOther(string tag, JsonElement element, int depth, out object? value)
        {
            value = null;
            if (tag != "pso") return false;
            PSObject pso;
            if (element.TryGetProperty("base", out var baseElement))
            {
                var baseObject = Read(baseElement, depth + 1);
                if (baseObject == null || ValueTypes.Find(baseObject.GetType()) == null) throw new FormatException("A stored PowerShell object wraps no supported value.");
                pso = new PSObject(baseObject);
            }
            else
            {
                var types = element.TryGetProperty("types", out var names) ? names.EnumerateArray().Select(n => n.GetString() ?? "").ToList() : null;
                if (element.TryGetProperty("str", out var text))
                {
                    pso = DeserializedObject.Create(text.GetString() ?? "", types ?? Enumerable.Empty<string>());
                }
                else
                {
                    pso = new PSObject();
                    if (types != null)
                    {
                        pso.TypeNames.Clear();
                        foreach (var name in types) pso.TypeNames.Add(name);
                    }
                }
            }
            foreach (var pair in element.GetProperty("v").EnumerateArray())
            {
                var items = pair.EnumerateArray().ToArray();
                pso.Properties.Add(new PSNoteProperty(items[0].GetString(), Read(items[1], depth + 1)));
            }
            value = pso;
            return true;
        }

        protected override string? OtherTypeName(Type type) => type == typeof(PSObject) ? "pso" : null;

        protected override Type? OtherType(string name) => name == "pso" ? typeof(PSObject) : null;
    }
}
