using System.Linq;
using System.Management.Automation;
using System.Text.Json;
using Agno.Core;

namespace Agno.Values
{
    /// <summary>
    /// The store's typed JSON, taught PowerShell's property bags: a PSCustomObject (or a deserialized
    /// object) is saved as its type names and its properties in order, and loaded as a PSCustomObject;
    /// nothing else is ever instantiated.
    /// </summary>
    internal sealed class PSTypedJsonCodec : TypedJsonCodec
    {
        public static new PSTypedJsonCodec Instance { get; } = new PSTypedJsonCodec();

        protected override bool TryWriteOther(Utf8JsonWriter writer, object value, int depth)
        {
            if (!(value is PSObject pso) || !(pso.BaseObject is PSCustomObject)) return false;
            writer.WriteString("t", "pso");
            writer.WriteStartArray("types");
            foreach (var name in pso.TypeNames) writer.WriteStringValue(name);
            writer.WriteEndArray();
            writer.WriteStartArray("v");
            foreach (var property in pso.Properties)
            {
                writer.WriteStartArray();
                writer.WriteStringValue(property.Name);
                Write(writer, property.Value, depth + 1);
                writer.WriteEndArray();
            }
            writer.WriteEndArray();
            return true;
        }

        protected override bool TryReadOther(string tag, JsonElement element, int depth, out object? value)
        {
            value = null;
            if (tag != "pso") return false;
            var pso = new PSObject();
            if (element.TryGetProperty("types", out var types))
            {
                pso.TypeNames.Clear();
                foreach (var name in types.EnumerateArray()) pso.TypeNames.Add(name.GetString());
            }
            foreach (var pair in element.GetProperty("v").EnumerateArray())
            {
                var items = pair.EnumerateArray().ToArray();
                pso.Properties.Add(new PSNoteProperty(items[0].GetString(), Read(items[1], depth + 1)));
            }
            value = pso;
            return true;
        }
    }
}
