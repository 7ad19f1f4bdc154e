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
                    copy = CopyBagOnce(pso, scope);
                    return true;
                case PSObject pso:
                    copy = CopyWrapped(pso, scope);
                    return true;
                default:
                    copy = CopyAsRemoting(value, scope);
                    return true;
            }
        }

        /// <summary>A bag met in several places (the PSDrive of every file of a folder) is copied once for the whole value.</summary>
        private object? CopyBagOnce(PSObject bag, CopyScope scope)
        {
            if (scope.IsInside(bag) && DeserializedObject.IsDeserialized(bag))
            {
                // PowerShell's serializer keeps references, so a deserialized graph can lead back to an
                // object it is inside (a drive's provider lists the drive): that reference keeps only its
                // string form, as remoting keeps objects past its depth. Cycles a script built are refused.
                return DeserializedObject.Create(bag.ToString(), bag.TypeNames);
            }
            return scope.CopyOnce(bag, () =>
            {
                using (scope.Enter(bag, TypeNameOf(bag))) return CopyBag(bag, scope);
            });
        }

        /// <summary>The copy of a .NET object PowerShell wrapped: the object's own copy, keeping the wrapper's notes when the object is supported.</summary>
        private object? CopyWrapped(PSObject pso, CopyScope scope)
        {
            var baseObject = pso.BaseObject;
            var supported = ValueTypes.Find(baseObject.GetType());
            if (supported == null || supported.IsImmutable)
            {
                // An immutable value or a container is copied as itself: its wrapper adds nothing a copy must
                // keep (Get-Date's DisplayHint is dropped). Any other object is copied as remoting copies it.
                return IsPlain(baseObject) ? CopyNested(baseObject, scope) : CopyAsRemoting(pso, scope);
            }
            var copy = supported.Copy(baseObject);
            var notes = NotesOf(pso);
            if (notes.Count == 0) return copy;
            var wrapper = new PSObject(copy);
            foreach (var note in notes) wrapper.Properties.Add(new PSNoteProperty(note.Name, CopyNote(note, scope)));
            return wrapper;
        }

        /// <summary>
        /// A note on a supported value, one level below the value: what needs a remoting copy (a file's
        /// PSDrive and PSProvider, live objects of the caller's runspace) keeps its string form only, as
        /// remoting keeps objects past its depth.
        /// </summary>
        private object? CopyNote(PSPropertyInfo note, CopyScope scope)
        {
            var value = note.Value;
            var inner = value is PSObject wrapped ? wrapped.BaseObject : value;
            if (inner == null || inner is PSCustomObject || IsPlain(inner)) return CopyMember(value, note.Name, scope);
            return scope.CopyOnce(inner, () =>
            {
                var live = PSObject.AsPSObject(value);
                string text;
                try
                {
                    text = live.ToString();
                }
                catch (Exception e)
                {
                    throw ValueRefusedException.ForPart(
                        $"has a note '{note.Name}' holding a [{ValueTypes.DisplayName(inner.GetType())}] whose string form failed: {e.Message}", e);
                }
                return DeserializedObject.Create(text, live.TypeNames.Select(name => "Deserialized." + name));
            });
        }

        /// <summary>
        /// A remoting copy, brought to the copier's own forms: a bag is rebuilt by the copier's rules, a
        /// wrapped plain value unwrapped; a live object PowerShell rehydrated (a PSCredential, an XmlDocument) is kept.
        /// </summary>
        private object? CopyAsRemoting(object value, CopyScope scope) =>
            scope.CopyOnce(value is PSObject wrapper ? wrapper.BaseObject : value, () =>
            {
                switch (RemotingCopy(value))
                {
                    case PSObject bag when bag.BaseObject is PSCustomObject: return CopyBagOnce(bag, scope);
                    case PSObject other: return IsPlain(other.BaseObject) ? CopyNested(other.BaseObject, scope) : other.BaseObject;
                    case var copy: return copy;
                }
            });

        /// <summary>A value the copier copies by its own rules: immutable, supported, or a list or dictionary.</summary>
        private bool IsPlain(object value) =>
            IsImmutable(value) || ValueTypes.Find(value.GetType()) != null || value is IList || value is IDictionary;

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
        internal static List<PSPropertyInfo> NotesOf(PSObject wrapper) => wrapper.Properties.OfType<PSNoteProperty>().ToList<PSPropertyInfo>();

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
