using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Emit;
using System.Text.RegularExpressions;
using Agno.Core;
using Xunit;

namespace Agno.Tests
{
    /// <summary>
    /// The engine's folders are layers, lowest first: State (values, snapshots, deltas, the commit port,
    /// and the vocabulary of conflicts), Merge, Execution, Storage, Pictures (Mermaid text of nodes and runs). A type may use
    /// types of its own layer and of the layers below, never above: State knows nothing of merging,
    /// running or storing. The one public namespace (Agno.Core) cannot say this; this test does, by
    /// reading which folder declares each type and which types each type's signatures and IL use.
    /// </summary>
    public class LayeringTests
    {
        private static readonly string[] Layers = { "State", "Merge", "Execution", "Storage", "Pictures" };

        [Fact]
        public void No_engine_type_uses_a_type_of_a_higher_layer()
        {
            var layerOf = TypesByLayer();
            var violations = new List<string>();
            foreach (var (type, layer) in layerOf)
            {
                foreach (var used in UsedTypes(type).Distinct())
                {
                    if (layerOf.TryGetValue(used, out var usedLayer) && Array.IndexOf(Layers, usedLayer) > Array.IndexOf(Layers, layer))
                    {
                        violations.Add($"{layer}/{type.Name} uses {usedLayer}/{used.Name}");
                    }
                }
            }
            Assert.True(violations.Count == 0, "Layer violations:\n" + string.Join("\n", violations.Distinct().OrderBy(v => v)));
        }

        [Fact]
        public void The_layer_map_knows_the_types_it_checks()
        {
            var layerOf = TypesByLayer();
            Assert.Equal("State", layerOf[typeof(AgnoState)]);
            Assert.Equal("Merge", layerOf[typeof(StateMerger)]);
            Assert.Equal("Execution", layerOf[typeof(WorkflowNode)]);
            Assert.Equal("Storage", layerOf[typeof(SqliteSessionStore)]);
            // The reader sees references in method bodies (here, an async method's state machine), not only in signatures.
            var parallel = typeof(ParallelNode).GetNestedTypes(Declared).Prepend(typeof(ParallelNode));
            Assert.Contains(typeof(StateMerger), parallel.SelectMany(UsedTypes));
        }

        /// <summary>Each engine type (nested types with their outer type) and the folder its file is in.</summary>
        private static Dictionary<Type, string> TypesByLayer()
        {
            var source = Path.Combine(RepoRoot(), "src", "Agno.Core");
            var declared = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var layer in Layers)
            {
                foreach (var file in Directory.EnumerateFiles(Path.Combine(source, layer), "*.cs", SearchOption.AllDirectories))
                {
                    foreach (Match m in Regex.Matches(File.ReadAllText(file), @"\b(?:class|interface|enum|struct)\s+(\w+)"))
                    {
                        declared[m.Groups[1].Value] = layer;
                    }
                }
            }
            var map = new Dictionary<Type, string>();
            foreach (var type in typeof(AgnoState).Assembly.GetTypes())
            {
                var outer = type;
                while (outer.DeclaringType != null) outer = outer.DeclaringType;
                var name = outer.Name.Split('`')[0];
                if (declared.TryGetValue(name, out var layer) && outer.Namespace == "Agno.Core") map[type] = layer;
            }
            return map;
        }

        private static string RepoRoot()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Directory.Packages.props"))) return dir.FullName;
            }
            throw new InvalidOperationException("The repository root (with Directory.Packages.props) was not found above " + AppContext.BaseDirectory);
        }

        private const BindingFlags Declared = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

        /// <summary>The types a type's base, interfaces, fields, signatures and method bodies use.</summary>
        private static IEnumerable<Type> UsedTypes(Type type)
        {
            var found = new List<Type>();
            void Add(Type? t)
            {
                if (t == null) return;
                if (t.HasElementType) { Add(t.GetElementType()); return; }
                if (t.IsGenericType && !t.IsGenericTypeDefinition)
                {
                    Add(t.GetGenericTypeDefinition());
                    foreach (var a in t.GetGenericArguments()) Add(a);
                    return;
                }
                found.Add(t);
            }
            Add(type.BaseType);
            foreach (var i in type.GetInterfaces()) Add(i);
            foreach (var f in type.GetFields(Declared)) Add(f.FieldType);
            foreach (var p in type.GetProperties(Declared)) Add(p.PropertyType);
            foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
            {
                if (method is MethodInfo mi) Add(mi.ReturnType);
                foreach (var p in method.GetParameters()) Add(p.ParameterType);
                foreach (var t in BodyTypes(method)) Add(t);
            }
            return found;
        }

        private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
            .GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

        /// <summary>The types an IL body refers to: each type, field and method token's type.</summary>
        private static IEnumerable<Type> BodyTypes(MethodBase method)
        {
            var il = method.GetMethodBody()?.GetILAsByteArray();
            if (il == null) yield break;
            var module = method.Module;
            var typeArgs = method.DeclaringType?.IsGenericType == true ? method.DeclaringType.GetGenericArguments() : null;
            var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
            for (int i = 0; i < il.Length;)
            {
                short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
                i += il[i] == 0xFE ? 2 : 1;
                var op = OpCodesByValue[value];
                int size = op.OperandType switch
                {
                    OperandType.InlineNone => 0,
                    OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                    OperandType.InlineVar => 2,
                    OperandType.InlineI8 or OperandType.InlineR => 8,
                    OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                    _ => 4,
                };
                if (op.OperandType is OperandType.InlineType or OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok)
                {
                    MemberInfo? member = null;
                    try
                    {
                        member = module.ResolveMember(BitConverter.ToInt32(il, i), typeArgs, methodArgs);
                    }
                    catch (ArgumentException)
                    {
                        // a token of a generic context this reader does not reconstruct: nothing of ours
                    }
                    switch (member)
                    {
                        case Type t: yield return t; break;
                        case FieldInfo f: yield return f.DeclaringType!; yield return f.FieldType; break;
                        case MethodBase m:
                            yield return m.DeclaringType!;
                            if (m is MethodInfo info) yield return info.ReturnType;
                            foreach (var p in m.GetParameters()) yield return p.ParameterType;
                            break;
                    }
                }
                i += size;
            }
        }
    }
}
