using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Agno.Core;
using Agno.Values;

namespace Agno.Hosting
{
    /// <summary>
    /// What crosses to a remote step and back, in the store's typed JSON (never PowerShell's CliXml,
    /// which turns a List[int] into an ArrayList and objects into Deserialized.* bags). Both sides run
    /// this assembly: the caller encodes the request (the step's code, its copies of variables and
    /// arguments, the pipeline item it runs for, the caller's preferences, and its session: ids, input,
    /// metadata and state) and decodes the result (the delta, and whether the step stopped the run); the
    /// far side (<see cref="RemoteStepScope"/>) does the reverse.
    /// </summary>
    internal static class RemoteStepProtocol
    {
        public const string Code = "Code", File = "File", Location = "Location", Functions = "Functions", Modules = "Modules",
            Variables = "Variables", Arguments = "Arguments", Item = "Item", Session = "Session";

        public const string SessionId = "Id", UserId = "UserId", Input = "Input", Metadata = "Metadata", State = "State";

        private const string Set = "Set", Removed = "Removed", Stopped = "Stopped", StopReason = "StopReason";

        /// <summary>The request for <paramref name="request"/> run at <paramref name="target"/>; the caller's location and script file go only to this machine.</summary>
        public static string EncodeRequest(StepRequest request, CallerContext caller, RemoteTarget target)
        {
            var script = request.Script;
            // Encoding only reads the step's captured copies: no copy per run is needed, as nothing here can change them.
            var variables = new Hashtable(StringComparer.OrdinalIgnoreCase);
            foreach (var entry in script.Variables) variables[entry.Key] = entry.Value;
            foreach (DictionaryEntry preference in caller.StepPreferences)
            {
                variables[preference.Key] = preference.Value is SwitchParameter s ? s.IsPresent : preference.Value;
            }
            var message = new Hashtable(StringComparer.OrdinalIgnoreCase)
            {
                [Code] = script.Text,
                [File] = target.SameMachine ? script.File ?? caller.ScriptPath : null,
                [Location] = target.SameMachine ? caller.Location : null,
                [Functions] = script.Functions.Count == 0 ? null : new Hashtable(script.Functions, StringComparer.OrdinalIgnoreCase),
                [Modules] = script.Modules.Count == 0 ? null : script.Modules.ToArray(),
                [Variables] = variables,
                [Arguments] = request.Arguments ?? script.Arguments,
                // In an array, as the bootstrap takes it, so that an item that is $null is still an item.
                [Item] = request.Item == null ? null : new[] { request.Item.Value },
            };
            Dictionary<string, object?>? state = null;
            if (request.Session is AgnoSession session)
            {
                // The stored values, read without copying them: encoding does not change them.
                state = session.State.ToDelta().Changes.ToDictionary(c => c.Key, c => c.Value, StringComparer.OrdinalIgnoreCase);
                message[Session] = new Hashtable(StringComparer.OrdinalIgnoreCase)
                {
                    [SessionId] = session.SessionId,
                    [UserId] = session.UserId,
                    [Input] = session.Input,
                    [Metadata] = new Hashtable(session.Metadata.ToDictionary(m => m.Key, m => m.Value), StringComparer.OrdinalIgnoreCase),
                    [State] = new Hashtable(state, StringComparer.OrdinalIgnoreCase),
                };
            }
            return Encode(message, state, "sent to where the step runs");
        }

        /// <summary>What a remote step changed, and whether it stopped the run (Stop-AgnoWorkflow) with what reason, to send back.</summary>
        public static string EncodeResult(StateDelta delta, bool stopped, string? stopReason)
        {
            var set = delta.Changes.Where(c => !c.IsRemoval).ToDictionary(c => c.Key, c => c.Value, StringComparer.OrdinalIgnoreCase);
            var message = new Hashtable(StringComparer.OrdinalIgnoreCase)
            {
                [Set] = new Hashtable(set, StringComparer.OrdinalIgnoreCase),
                [Removed] = delta.RemovedKeys.ToArray(),
                [Stopped] = stopped,
                [StopReason] = stopReason,
            };
            return Encode(message, set, "sent back from where the step ran");
        }

        /// <summary>What a remote step sent back: the delta to apply to the step's own state, and its stop of the run, if it asked for one.</summary>
        public static (StateDelta Delta, bool Stopped, string? StopReason) DecodeResult(string json)
        {
            var message = (Hashtable)PSTypedJsonCodec.Instance.Deserialize(json)!;
            var set = ((Hashtable)message[Set]!).Cast<DictionaryEntry>().Select(e => StateChange.Set((string)e.Key, e.Value));
            var removed = ((string[])message[Removed]!).Select(StateChange.Remove);
            return (StateDelta.FromChanges(set.Concat(removed)), (bool)message[Stopped]!, (string?)message[StopReason]);
        }

        /// <summary>The request, decoded on the far side.</summary>
        public static Hashtable DecodeRequest(string json) => (Hashtable)PSTypedJsonCodec.Instance.Deserialize(json)!;

        /// <summary>
        /// <paramref name="message"/> as typed JSON. A value the format cannot keep (a string holding half a
        /// character, a collection of a type it cannot name) fails it, naming the state's key when it is one.
        /// </summary>
        private static string Encode(Hashtable message, IDictionary<string, object?>? state, string where)
        {
            try
            {
                return PSTypedJsonCodec.Instance.Serialize(message);
            }
            catch (FormatException e)
            {
                foreach (var entry in state ?? new Dictionary<string, object?>())
                {
                    try
                    {
                        PSTypedJsonCodec.Instance.Serialize(entry.Value);
                    }
                    catch (FormatException refused)
                    {
                        throw new AgnoArgumentException($"the value of key '{entry.Key}' cannot be {where}: {refused.Message}", entry.Key, refused);
                    }
                }
                throw new AgnoArgumentException($"what the step takes cannot be {where}: {e.Message}", null, e);
            }
        }
    }
}
