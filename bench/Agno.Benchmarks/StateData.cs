using System;
using System.Collections;
using System.Collections.Generic;

namespace Agno.Benchmarks
{
    /// <summary>The states the benchmarks use: keys "key0".."keyN", values alternating ints and short strings.</summary>
    public static class StateData
    {
        public static string Key(int i) => "key" + i;

        public static object Value(int i) => i % 2 == 0 ? i : (object)("value-" + i);

        public static Hashtable Create(int keys)
        {
            var table = new Hashtable(keys, StringComparer.OrdinalIgnoreCase);
            for (int i = 0; i < keys; i++) table[Key(i)] = Value(i);
            return table;
        }

        public static Dictionary<string, object?> CreateDictionary(int keys)
        {
            var dictionary = new Dictionary<string, object?>(keys, StringComparer.OrdinalIgnoreCase);
            for (int i = 0; i < keys; i++) dictionary[Key(i)] = Value(i);
            return dictionary;
        }
    }
}
