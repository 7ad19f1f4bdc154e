using System.Collections.Generic;

namespace Agno.Core
{
    /// <summary>A read of a key the state does not hold.</summary>
    public sealed class StateKeyNotFoundException : KeyNotFoundException
    {
        public StateKeyNotFoundException(string key)
            : base($"The session state has no key '{key}'.")
        {
            Key = key;
        }

        public string Key { get; }
        public string ErrorId => "AgnoStateKeyNotFound";
    }
}
