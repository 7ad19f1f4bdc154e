using System;

namespace Agno.Core
{
    /// <summary>A value that cannot be stored (a cycle, too deep, a type that can't be copied). Nothing was stored.</summary>
    public sealed class ValueRefusedException : AgnoException
    {
        public ValueRefusedException(string? key, string reason, Exception? inner = null)
            : base(Format(key, reason), inner)
        {
            Key = key;
            Reason = reason;
        }

        public string? Key { get; }
        public string Reason { get; }
        public override string ErrorId => "AgnoStateValueRefused";
        public override AgnoErrorKind Kind => AgnoErrorKind.InvalidArgument;
        public override object? Target => Key;

        internal ValueRefusedException WithKey(string key) => new ValueRefusedException(key, Reason, InnerException);

        private static string Format(string? key, string reason) => key == null
            ? $"The value cannot be stored: {reason}"
            : $"The value for key '{key}' cannot be stored: {reason} Nothing was stored.";
    }
}
