namespace Agno.Commands
{
    /// <summary>One key and a copy of its value, as Get-AgnoState writes matching entries.</summary>
    public sealed class AgnoStateEntry
    {
        public AgnoStateEntry(string key, object? value)
        {
            Key = key;
            Value = value;
        }

        public string Key { get; }
        public object? Value { get; }
        public override string ToString() => $"{Key}={Value}";
    }
}
