using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Agno.Core;

namespace Agno.Values
{
    /// <summary>
    /// The engine's copier taught PowerShell's values. A PSCustomObject is rebuilt with its type names
    /// and its properties in order; a deserialized bag (from remoting, Import-Clixml, or an earlier copy)
    /// keeps its string form too. A value of one of the <see cref="ValueTypes"/> comes back as itself,
    /// with the note properties PowerShell put on it (a file's PSPath, so that it still binds to
    /// -LiteralPath). Any other object is copied as PowerShell remoting copies it (PSSerializer: a
    /// property bag without methods, one level deep, or the live type PowerShell rehydrates). A
    /// ScriptBlock is refused: it is code bound to the runspace that made it.
    /// </summary>
    public sealed class PSValueCopier : DefaultValueCopier
    {
        public static new PSValueCopier Instance { get; } = new PSValueCopier();

        // A PSObject is never shared as it is: its wrapper is dropped or its property bag rebuilt.
        public override bool IsImmutable(object? value) => !(value is PSObject) && base.IsImmutable(value);

        protected override bool TryCopyOther(object value, CopyScope scope, out object? copy)
        {
            switch (value)
            {
                case ScriptBlock _:
                    throw ValueRefusedException.ForType(typeof(ScriptBlock),
                        "is code bound to the runspace that made it: a ScriptBlock cannot be stored. Store its text with .ToString() and rebuild it with [scriptblock]::Create().");
                case PSObject pso when pso.BaseObject is PSCustomObject:
                    // One bag met in several places (the PSDrive of every file of a folder) is copied once.
                    copy = scope.CopyOnce(pso, () =>
                    {
                        using (scope.Enter(pso, TypeNameOf(pso))) return CopyBag(pso, scope);
                    });
                    return true;
                case PSObject pso:
                    copy = CopyWrapped(pso, scope);
                    return true;
                default:
                    copy = scope.CopyOnce(value, () => RemotingCopy(value));
                    return true;
            }
        }

        /// <summary>The copy of a .NET object PowerShell wrapped: the object's own copy, keeping the wrapper's notes when the object is supported.</summary>
        private object? CopyWrapped(PSObject pso, CopyScope scope)
        {
            var baseObject = pso.BaseObject;
            var supported = ValueTypes.Find(baseObject.GetType());
            if (supported == null || supported.IsImmutable)
            {
                // A container or an immutable value: the wrapper adds nothing a copy must keep (Get-Date's DisplayHint is dropped).
                if (IsImmutable(baseObject) || baseObject is IList || baseObject is IDictionary) return CopyNested(baseObject, scope);
                return scope.CopyOnce(baseObject, () => RemotingCopy(pso));
            }
            var copy = supported.Copy(baseObject);
            var notes = NotesOf(pso);
            if (notes.Count == 0) return copy;
            var wrapper = new PSObject(copy);
            foreach (var note in notes) wrapper.Properties.Add(new PSNoteProperty(note.Name, CopyMember(note.Value, note.Name, scope)));
            return wrapper;
        }

        private PSObject CopyBag(PSObject source, CopyScope scope)
        {
            PSObject copy;
            if (DeserializedObject.IsDeserialized(source))
            {
                copy = DeserializedObject.Create(source.ToString(), source.TypeNames);
            }
            else
            {
                copy = new PSObject();
                copy.TypeNames.Clear();
                foreach (var name in source.TypeNames) copy.TypeNames.Add(name);
            }
            foreach (var property in source.Properties)
            {
                object? value;
                try
                {
                    value = property.Value;
                }
                catch (Exception e) when (!(e is ValueRefusedException))
                {
                    throw ValueRefusedException.ForPart(
                        $"has a property '{property.Name}' whose getter failed: {e.Message} Store the object without that property.", e);
                }
                copy.Properties.Add(new PSNoteProperty(property.Name, CopyMember(value, property.Name, scope)));
            }
            return copy;
        }

        private static object RemotingCopy(object value)
        {
            try
            {
                return PSSerializer.Deserialize(PSSerializer.Serialize(value));
            }
            catch (Exception e)
            {
                var type = value is PSObject pso ? pso.BaseObject.GetType() : value.GetType();
                throw ValueRefusedException.ForType(type, $"could not be copied as remoting copies objects: {e.Message}", e);
            }
        }

        /// <summary>The note properties PowerShell or a script put on a wrapped .NET object (a provider's PSPath, PSIsContainer...).</summary>
        internal static List<PSPropertyInfo> NotesOf(PSObject wrapper) => wrapper.Properties.Match("*", PSMemberTypes.NoteProperty).ToList();

        /// <summary>A bag's type as its user knows it: PSCustomObject, or the first of its type names.</summary>
        internal static string TypeNameOf(PSObject bag) =>
            bag.TypeNames.Count == 0 || bag.TypeNames[0] == typeof(PSCustomObject).FullName ? "PSCustomObject" : bag.TypeNames[0];

        protected override bool AreEqualOther(object left, object right, int depth)
        {
            if (!(left is PSObject a) || !(right is PSObject b)) return base.AreEqualOther(left, right, depth);
            bool bagA = a.BaseObject is PSCustomObject, bagB = b.BaseObject is PSCustomObject;
            if (bagA != bagB) return false;
            if (!bagA)
            {
                return AreEqual(a.BaseObject, b.BaseObject, depth)
                    && SameProperties(NotesOf(a), NotesOf(b), depth);
            }
            if (!a.TypeNames.SequenceEqual(b.TypeNames, StringComparer.OrdinalIgnoreCase)) return false;
            if (DeserializedObject.IsDeserialized(a) && a.ToString() != b.ToString()) return false;
            return SameProperties(a.Properties.ToList(), b.Properties.ToList(), depth);
        }

        private bool SameProperties(IList<PSPropertyInfo> a, IList<PSPropertyInfo> b, int depth)
        {
            if (a.Count != b.Count) return false;
            for (int i = 0; i < a.Count; i++)
            {
                if (!string.Equals(a[i].Name, b[i].Name, StringComparison.OrdinalIgnoreCase)) return false;
                if (!AreEqual(a[i].Value, b[i].Value, depth + 1)) return false;
            }
            return true;
        }
    }
}
