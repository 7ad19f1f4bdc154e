namespace Agno.Core
{
    /// <summary>How a reducer's error names each of its three values, so that every message reads the same.</summary>
    internal static class Whose
    {
        public const string Base = "the value before the fork";
        public const string Current = "the value merged so far";
        public const string Incoming = "this branch's value";
    }
}
