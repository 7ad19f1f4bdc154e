namespace Agno.Commands
{
    /// <summary>The names of the cmdlets' parameter sets, in one place.</summary>
    internal static class ParameterSets
    {
        public const string Key = "Key";
        public const string LiteralKey = "LiteralKey";
        public const string KeyValue = "KeyValue";
        public const string Dictionary = "Dictionary";
        public const string ScriptBlock = "ScriptBlock";
        public const string Step = "Step";
    }
}
