using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;

namespace Agno.Hosting
{
    /// <summary>
    /// The step scripts a pooled runspace has parsed, kept for the next step that runs the same script
    /// there. PowerShell compiles a scriptblock's loops and call sites the first times it runs them and
    /// keeps what it compiled on the scriptblock: a step parsed again from its text for every run paid
    /// that compile every time (a 10-step workflow spent most of its time in it, and in finalizing the
    /// dynamic methods it left). Each runspace has its own (a scriptblock runs in one runspace at a
    /// time); the scripts are unbound, so they run in the scope of the step that calls them.
    /// </summary>
    internal static class ParsedScripts
    {
        /// <summary>How many scripts one runspace keeps; past it, it starts again (a workflow rarely has this many).</summary>
        private const int MaxPerRunspace = 256;

        private static readonly ConditionalWeakTable<Runspace, Dictionary<(string Text, string? File), ScriptBlock>> ByRunspace =
            new ConditionalWeakTable<Runspace, Dictionary<(string, string?), ScriptBlock>>();

        /// <summary>The script <paramref name="text"/> (from <paramref name="file"/>, for its positions), parsed once for <paramref name="runspace"/>.</summary>
        public static ScriptBlock For(Runspace runspace, string text, string? file)
        {
            var parsed = ByRunspace.GetValue(runspace, _ => new Dictionary<(string, string?), ScriptBlock>());
            lock (parsed)
            {
                if (parsed.TryGetValue((text, file), out var script)) return script;
                if (parsed.Count >= MaxPerRunspace) parsed.Clear();
                // The step's text parsed before it was captured, so it has no errors here.
                script = Parser.ParseInput(text, file, out _, out _).GetScriptBlock();
                parsed[(text, file)] = script;
                return script;
            }
        }
    }
}
