using System;
using System.Collections.Generic;

namespace Agno.Core
{
    /// <summary>
    /// A value that cannot be stored (a part of a type that can't be copied, a cycle, nesting too deep).
    /// Nothing was stored. The message names the key, the path to the refused part and that part's type
    /// as it was given: <c>The value for key 'files' cannot be stored: [0].Owner is a [...], which ...</c>.
    /// </summary>
    public sealed class ValueRefusedException : AgnoException
    {
        private readonly List<string> _path;
        private readonly string _detail;
        private readonly bool _aboutPart;
        private string? _subject;

        /// <summary>A refusal of the whole value, for a reason given as a sentence.</summary>
        public ValueRefusedException(string? key, string reason, Exception? inner = null)
            : this(key, new List<string>(), reason, false, inner)
        {
        }

        private ValueRefusedException(string? key, List<string> path, string detail, bool aboutPart, Exception? inner)
            : base(detail, inner)
        {
            Key = key;
            _path = path;
            _detail = detail;
            _aboutPart = aboutPart;
        }

        /// <summary>
        /// A refusal of the part of a value being copied or saved, described by what follows its path
        /// (<c>"contains itself ..."</c>); the path is filled in as the refusal leaves each container.
        /// </summary>
        public static ValueRefusedException ForPart(string detail, Exception? inner = null) =>
            new ValueRefusedException(null, new List<string>(), detail, true, inner);

        /// <summary>A refusal of a part because of its type: <c>{path} is a [{typeName}], which {which}</c>.</summary>
        public static ValueRefusedException ForType(string typeName, string which, Exception? inner = null) =>
            ForPart($"is a [{typeName}], which {which}", inner);

        /// <summary>A refusal of a part because of its type, named as a PowerShell user writes it.</summary>
        public static ValueRefusedException ForType(Type type, string which, Exception? inner = null) =>
            ForType(ValueTypes.DisplayName(type), which, inner);

        /// <summary>The key whose value was refused; null when the value was not a state key's (or the key was not known where it was refused).</summary>
        public string? Key { get; }

        /// <summary>The path from the value's root to the refused part (see <see cref="ValuePath"/>); empty for the value itself.</summary>
        public string Path => ValuePath.Join(_path);

        /// <summary>What was refused and why, without the key: <c>[0].Owner is a [...], which ...</c>.</summary>
        public string Reason => _aboutPart ? (_path.Count == 0 ? "it" : Path) + " " + _detail : _detail;

        /// <summary>What was refused (the key's value, or what was being copied), the path and type of the refused part, and why.</summary>
        public override string Message =>
            _subject != null ? $"{_subject}: {Reason}"
            : Key == null ? $"The value cannot be stored: {Reason}"
            : $"The value for key '{Key}' cannot be stored: {Reason} Nothing was stored.";

        /// <inheritdoc/>
        public override string ErrorId => "AgnoStateValueRefused";

        /// <inheritdoc/>
        public override AgnoErrorKind Kind => AgnoErrorKind.InvalidArgument;

        /// <inheritdoc/>
        public override object? Target => Key;

        /// <summary>Records that the refused part lies under <paramref name="segment"/> (a <see cref="ValuePath"/> segment); returns this.</summary>
        internal ValueRefusedException Within(string segment)
        {
            _path.Insert(0, segment);
            return this;
        }

        /// <summary>Says what was refused when it is not a state key's value (<c>"The session's Input cannot be copied for 'step'"</c>); returns this.</summary>
        internal ValueRefusedException About(string subject)
        {
            _subject = subject;
            return this;
        }

        internal ValueRefusedException WithKey(string key) =>
            new ValueRefusedException(key, new List<string>(_path), _detail, _aboutPart, InnerException);
    }
}
