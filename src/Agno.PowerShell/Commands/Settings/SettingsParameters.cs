using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;
using System.Management.Automation;
using System.Reflection;

namespace Agno.Commands
{
    /// <summary>
    /// Parameters that several cmdlets share, declared once: each group is a small settings class whose
    /// properties carry [Parameter] and validation attributes (<see cref="ParallelSettings"/>, ...). A cmdlet
    /// offers its groups as dynamic parameters (<see cref="IDynamicParameters"/>) through this, and reads
    /// the bound values back into the settings with <see cref="Apply"/>.
    /// </summary>
    internal sealed class SettingsParameters
    {
        private readonly List<(object Settings, PropertyInfo Property)> _properties = new List<(object, PropertyInfo)>();

        public SettingsParameters(params object[] settings)
        {
            foreach (var group in settings)
            {
                foreach (var property in group.GetType().GetProperties(BindingFlags.Instance | BindingFlags.Public))
                {
                    if (property.GetCustomAttributes<ParameterAttribute>().Any()) _properties.Add((group, property));
                }
            }
            Parameters = new RuntimeDefinedParameterDictionary();
            foreach (var (group, property) in _properties)
            {
                var attributes = new Collection<Attribute>(property.GetCustomAttributes().ToList());
                // No value is given here: a value makes the parameter count as set, and the settings keep their defaults anyway.
                Parameters.Add(property.Name, new RuntimeDefinedParameter(property.Name, property.PropertyType, attributes));
            }
        }

        /// <summary>What GetDynamicParameters returns.</summary>
        public RuntimeDefinedParameterDictionary Parameters { get; }

        /// <summary>Copies what was bound into the settings objects (the rest keep their defaults).</summary>
        public void Apply()
        {
            foreach (var (settings, property) in _properties)
            {
                var parameter = Parameters[property.Name];
                if (parameter.IsSet) property.SetValue(settings, parameter.Value is PSObject pso && !(property.PropertyType == typeof(object)) ? pso.BaseObject : parameter.Value);
            }
        }

        /// <summary>True when the user gave the parameter (not only its default).</summary>
        public bool IsSet(string name) => Parameters.TryGetValue(name, out var p) && p.IsSet;
    }
}
