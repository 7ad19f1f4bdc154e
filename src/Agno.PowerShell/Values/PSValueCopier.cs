using System;
using System.Management.Automation;
using Agno.Core;

namespace Agno.Values
{
    /// <summary>
    /// The engine's copier taught PowerShell's values: a PSCustomObject is rebuilt with its properties
    /// in order, a wrapped .NET value is copied as itself, and any other object is copied as
    /// PowerShell remoting copies it (PSSerializer: a property bag without methods, depth 1).
    /// A ScriptBlock is refused: it is code bound to the runspace that made it.
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
                    throw new ValueRefusedException(null,
                        "a ScriptBlock cannot be stored (it is code bound to the runspace that made it). Store its text with .ToString() and rebuild it with [scriptblock]::Create().");
                case PSObject pso when pso.BaseObject is PSCustomObject:
                    using (scope.Enter(pso)) copy = CopyPropertyBag(pso, scope);
                    return true;
                case PSObject pso:
                    copy = CopyNested(pso.BaseObject, scope);
                    return true;
                default:
                    copy = Serialize(value);
                    return true;
            }
        }

        private PSObject CopyPropertyBag(PSObject source, CopyScope scope)
        {
            var copy = new PSObject();
            copy.TypeNames.Clear();
            foreach (var name in source.TypeNames) copy.TypeNames.Add(name);
            foreach (var property in source.Properties)
            {
                object? value;
                try
                {
                    value = property.Value;
                }
                catch (Exception e) when (!(e is ValueRefusedException))
                {
                    throw new ValueRefusedException(null, $"reading its property '{property.Name}' failed: {e.Message}", e);
                }
                copy.Properties.Add(new PSNoteProperty(property.Name, CopyNested(value, scope)));
            }
            return copy;
        }

        private static object Serialize(object value)
        {
            try
            {
                return PSSerializer.Deserialize(PSSerializer.Serialize(value));
            }
            catch (Exception e)
            {
                throw new ValueRefusedException(null, $"the [{value.GetType().FullName}] could not be copied as remoting copies objects: {e.Message}", e);
            }
        }

        protected override bool AreEqualOther(object left, object right, int depth)
        {
            if (left is PSObject a && right is PSObject b)
            {
                if (!(a.BaseObject is PSCustomObject) || !(b.BaseObject is PSCustomObject)) return AreEqual(a.BaseObject, b.BaseObject, depth);
                var pa = new System.Collections.Generic.List<PSPropertyInfo>(a.Properties);
                var pb = new System.Collections.Generic.List<PSPropertyInfo>(b.Properties);
                if (pa.Count != pb.Count) return false;
                for (int i = 0; i < pa.Count; i++)
                {
                    if (!string.Equals(pa[i].Name, pb[i].Name, StringComparison.OrdinalIgnoreCase)) return false;
                    if (!AreEqual(pa[i].Value, pb[i].Value, depth + 1)) return false;
                }
                return true;
            }
            return base.AreEqualOther(left, right, depth);
        }
    }
}
