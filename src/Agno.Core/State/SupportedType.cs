using System;

namespace Agno.Core
{
    /// <summary>
    /// One type of <see cref="ValueTypes"/>: how a copy is made, how two values compare, and its text
    /// form in a store (under <see cref="Tag"/>). A value of this type comes back as itself from a
    /// copy and from a save.
    /// </summary>
    public sealed class SupportedType
    {
        private readonly Func<object, string>? _toText;
        private readonly Func<string, object> _fromText;
        private readonly Func<object, object>? _copy;
        private readonly Func<object, object, bool>? _areEqual;

        internal SupportedType(Type type, string tag, Func<object, string>? toText, Func<string, object> fromText,
            Func<object, object>? copy = null, Func<object, object, bool>? areEqual = null, bool textIsLiteral = false)
        {
            Type = type;
            Tag = tag;
            _toText = toText;
            _fromText = fromText;
            _copy = copy;
            _areEqual = areEqual;
            TextIsLiteral = textIsLiteral;
        }

        /// <summary>The exact type (a subclass is not this type).</summary>
        public Type Type { get; }

        /// <summary>The name a store gives the type.</summary>
        public string Tag { get; }

        /// <summary>True when a value can never change, so copies share it.</summary>
        public bool IsImmutable => _copy == null;

        /// <summary>True when the text form is a JSON literal (a number, true or false) that a store writes unquoted.</summary>
        public bool TextIsLiteral { get; }

        /// <summary>An independent copy of <paramref name="value"/> (the value itself when immutable).</summary>
        public object Copy(object value) => _copy == null ? value : _copy(value);

        /// <summary>Equality of two values of this type (by content, for the mutable ones).</summary>
        public bool AreEqual(object left, object right) => _areEqual?.Invoke(left, right) ?? left.Equals(right);

        /// <summary>The value's text form, which <see cref="FromText"/> reads back exactly; null for a type without one (DBNull).</summary>
        public string? ToText(object value) => _toText?.Invoke(value);

        /// <summary>Reads a text form written by <see cref="ToText"/>; throws <see cref="FormatException"/> when it is not one.</summary>
        public object FromText(string? text)
        {
            if (text == null)
            {
                if (_toText == null) return _fromText(string.Empty);
                throw new FormatException($"A stored '{Tag}' value has no text.");
            }
            try
            {
                return _fromText(text);
            }
            catch (Exception e) when (e is ArgumentException || e is OverflowException)
            {
                throw new FormatException($"A stored '{Tag}' value is not valid: {e.Message}", e);
            }
        }
    }
}
