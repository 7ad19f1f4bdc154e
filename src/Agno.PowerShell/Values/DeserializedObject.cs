using System.Collections.Generic;
using System.Management.Automation;
using System.Security;
using System.Text;

namespace Agno.Values
{
    /// <summary>
    /// Property bags that keep their string form, as PowerShell's deserialized objects do: "$bag"
    /// and a string parameter bound to it (Get-Content $file) give what the original gave, not
    /// "@{PSPath=...}". PowerShell keeps that form only on objects its deserializer makes, so a bag is
    /// made by deserializing a CliXml object that holds nothing but the form.
    /// </summary>
    internal static class DeserializedObject
    {
        private const string Prefix = "Deserialized.";

        /// <summary>True for a bag PowerShell's deserializer made (remoting, Import-Clixml, PSSerializer), or one copied from such a bag.</summary>
        public static bool IsDeserialized(PSObject bag) =>
            bag.TypeNames.Count > 0 && bag.TypeNames[0].StartsWith(Prefix, System.StringComparison.OrdinalIgnoreCase);

        /// <summary>An empty deserialized bag whose string form is <paramref name="text"/>, with <paramref name="typeNames"/>.</summary>
        public static PSObject Create(string text, IEnumerable<string> typeNames)
        {
            // No type names in the CliXml: the deserializer would turn a bag named after a type it rehydrates into that type.
            var xml = "<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\"><Obj RefId=\"0\"><ToString>"
                + SecurityElement.Escape(Encode(text)) + "</ToString></Obj></Objs>";
            var bag = (PSObject)PSSerializer.Deserialize(xml);
            bag.TypeNames.Clear();
            foreach (var name in typeNames) bag.TypeNames.Add(name);
            return bag;
        }

        /// <summary>CliXml's encoding of characters XML cannot carry (control characters, surrogates, and the escape "_x" itself) as _xHHHH_.</summary>
        private static string Encode(string text)
        {
            var encoded = new StringBuilder(text.Length);
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                bool escape = c <= 0x1F || (c >= 0x7F && c <= 0x9F) || char.IsSurrogate(c)
                    || (c == '_' && i + 1 < text.Length && (text[i + 1] == 'x' || text[i + 1] == 'X'));
                if (escape) encoded.Append("_x").Append(((int)c).ToString("X4")).Append('_');
                else encoded.Append(c);
            }
            return encoded.ToString();
        }
    }
}
