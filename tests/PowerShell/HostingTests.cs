using System;
using System.Collections;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using Agno.Commands;
using Agno.Core;
using Agno.Hosting;
using Agno.Values;
using Xunit;

namespace Agno.PowerShell.Tests
{
    /// <summary>The hosting layer's pieces, with PowerShell hosted in this process.</summary>
    public class UsingRewriterTests
    {
        private static (string Text, string[] Names) Rewrite(string code)
        {
            var (text, usings) = UsingRewriter.Rewrite(ScriptBlock.Create(code));
            return (text, usings.Select(u => u.UserPath).ToArray());
        }

        [Theory]
        [InlineData("$using:name", "$__agnoUsing0")]
        [InlineData("$using:name.Length", "$__agnoUsing0.Length")]
        [InlineData("$using:name[0]", "$__agnoUsing0[0]")]
        [InlineData("\"$($using:name)!\"", "\"$($__agnoUsing0)!\"")]
        public void Rewrites_a_using_variable_and_what_follows_it_stays(string code, string expected)
        {
            var (text, names) = Rewrite(code);
            Assert.Equal(expected, text.Trim());
            Assert.Equal(new[] { "name" }, names);
        }

        [Fact]
        public void Gives_one_variable_to_a_name_used_twice_in_any_casing()
        {
            var (text, names) = Rewrite("$using:a + $using:A + $using:b");
            Assert.Equal("$__agnoUsing0 + $__agnoUsing0 + $__agnoUsing1", text.Trim());
            Assert.Equal(new[] { "a", "b" }, names);
        }

        [Fact]
        public void Keeps_a_drive_qualified_path_whole()
        {
            var (_, usings) = UsingRewriter.Rewrite(ScriptBlock.Create("$using:env:HOME"));
            Assert.True(usings.Single().IsDriveQualified);
            Assert.Equal("env:HOME", usings.Single().UserPath);
        }

        [Theory]
        [InlineData("1 | ForEach-Object -Parallel { $using:x }")]
        [InlineData("1 | % -Par { $using:x }")]
        [InlineData("1 | Microsoft.PowerShell.Core\\ForEach-Object -Parallel { $using:x }")]
        [InlineData("Start-ThreadJob { $using:x }")]
        [InlineData("Start-Job -ScriptBlock { $using:x }")]
        [InlineData("Invoke-Command -ScriptBlock:{ $using:x } -ComputerName h")]
        [InlineData("New-AgnoStep inner { $using:x }")]
        [InlineData("Invoke-AgnoParallel { $using:x }")]
        public void Leaves_a_using_of_a_block_that_resolves_its_own(string code)
        {
            var (text, names) = Rewrite(code);
            Assert.Empty(names);
            Assert.Contains("$using:x", text);
        }

        [Theory]
        [InlineData("1 | ForEach-Object { $using:x }")]
        [InlineData("& { $using:x }")]
        [InlineData("1 | ForEach-Object -PipelineVariable p { $using:x }")]
        public void Rewrites_a_using_in_a_plain_nested_block_which_runs_in_the_step(string code)
        {
            var (_, names) = Rewrite(code);
            Assert.Equal(new[] { "x" }, names);
        }

        [Fact]
        public void Pads_the_code_to_its_line_and_column_in_the_file()
        {
            var outer = ScriptBlock.Create("\n\n  $step = {\n    $using:x\n  }");
            var block = (ScriptBlockExpressionAst)outer.Ast.Find(a => a is ScriptBlockExpressionAst, true)!;
            var (text, _) = UsingRewriter.Rewrite(block.ScriptBlock.GetScriptBlock());
            var lines = text.Split('\n');
            Assert.Equal("    $__agnoUsing0", lines[3].TrimEnd());
            Assert.Equal(3, text.Take(text.IndexOf('$')).Count(c => c == '\n'));
        }
    }

    public class ErrorMappingTests
    {
        [Fact]
        public void An_AgnoException_gives_its_id_category_and_target()
        {
            var record = AgnoErrors.FromException(new StateKeyNotFoundException("k"));
            Assert.Equal("AgnoStateKeyNotFound", record.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.ObjectNotFound, record.CategoryInfo.Category);
            Assert.Equal("k", record.TargetObject);
        }

        [Fact]
        public void An_engine_argument_check_becomes_an_AgnoArgumentException_without_the_engine_parameter_name()
        {
            var record = AgnoErrors.FromException(new ArgumentException("A state key cannot be empty.", "key"));
            Assert.Equal("AgnoInvalidArgument", record.FullyQualifiedErrorId);
            Assert.IsType<AgnoArgumentException>(record.Exception);
            Assert.Equal("A state key cannot be empty.", record.Exception.Message);
            Assert.Equal(ErrorCategory.InvalidArgument, record.CategoryInfo.Category);
        }

        [Fact]
        public void A_failed_step_takes_the_category_of_its_script_error()
        {
            var inner = new RuntimeException("no disk", null, new ErrorRecord(new Exception("no disk"), "NoDisk", ErrorCategory.ResourceUnavailable, null));
            var record = AgnoErrors.FromException(new StepFailedException("fetch", inner));
            Assert.Equal("AgnoStepFailed", record.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.ResourceUnavailable, record.CategoryInfo.Category);
            Assert.Equal("fetch", record.TargetObject);
        }

        [Fact]
        public void A_script_error_keeps_its_own_record()
        {
            var original = new ErrorRecord(new Exception("gone"), "PathNotFound", ErrorCategory.ObjectNotFound, "/x");
            var record = AgnoErrors.FromException(new RuntimeException("gone", null, original));
            Assert.Equal("PathNotFound", record.FullyQualifiedErrorId);
            Assert.Equal("/x", record.TargetObject);
        }
    }

    public class ValueAdapterTests
    {
        [Fact]
        public void A_PSCustomObject_keeps_its_properties_in_order_through_a_copy_and_a_save()
        {
            var pso = new PSObject();
            pso.Properties.Add(new PSNoteProperty("Zeta", 1));
            pso.Properties.Add(new PSNoteProperty("Alpha", "two"));
            var copy = (PSObject)PSValueCopier.Instance.Copy(pso)!;
            var saved = (PSObject)PSTypedJsonCodec.Instance.Deserialize(PSTypedJsonCodec.Instance.Serialize(copy))!;
            foreach (var result in new[] { copy, saved })
            {
                Assert.Equal(new[] { "Zeta", "Alpha" }, result.Properties.Select(p => p.Name));
                Assert.Equal(1, result.Properties["Zeta"].Value);
                Assert.Equal("two", result.Properties["Alpha"].Value);
                Assert.NotSame(pso, result);
            }
        }

        [Fact]
        public void A_scriptblock_is_refused_naming_what_it_is()
        {
            var e = Assert.Throws<ValueRefusedException>(() => PSValueCopier.Instance.Copy(new object[] { ScriptBlock.Create("1") }));
            Assert.Contains("ScriptBlock", e.Message);
        }
    }

    public class KeyCompleterTests
    {
        private static string[] Complete(string command, string parameter, string word, params string[] keys)
        {
            var session = AgnoSession.Create();
            foreach (var key in keys) session.State.Set(key, 1);
            var bound = new Hashtable { ["Session"] = session };
            return new KeyCompleter().CompleteArgument(command, parameter, word, null!, bound).Select(c => c.CompletionText).ToArray();
        }

        [Fact]
        public void Escapes_and_quotes_a_key_with_wildcard_characters_for_a_wildcard_Key()
        {
            Assert.Equal(new[] { "'Disk`[C`]'" }, Complete("Get-AgnoState", "Key", "Disk[", "Disk[C]", "other"));
        }

        [Fact]
        public void Quotes_without_escaping_for_LiteralKey_and_Set_AgnoState()
        {
            Assert.Equal(new[] { "'Disk[C]'" }, Complete("Get-AgnoState", "LiteralKey", "Di", "Disk[C]"));
            Assert.Equal(new[] { "'Disk[C]'" }, Complete("Set-AgnoState", "Key", "Di", "Disk[C]"));
        }

        [Fact]
        public void Quotes_a_key_with_a_space_or_a_quote_and_leaves_a_plain_one_bare()
        {
            Assert.Equal(new[] { "'it''s here'", "item" }, Complete("Get-AgnoState", "Key", "it", "item", "it's here").OrderByDescending(c => c.Length).ToArray());
        }

        [Fact]
        public void Matches_what_was_typed_inside_quotes()
        {
            Assert.Equal(new[] { "'my key'" }, Complete("Remove-AgnoState", "Key", "'my", "my key", "other"));
        }
    }

    public class RunspaceFingerprintTests
    {
        [Fact]
        public void Reads_session_state_directly_on_the_pinned_PowerShell()
        {
            // Without the fast path every step's runspace is reset (~milliseconds) instead of compared (~microseconds).
            Assert.True(RunspaceFingerprint.ReadsSessionStateDirectly);
        }

        [Fact]
        public void Sees_a_new_global_variable_and_a_new_function()
        {
            using var runspace = RunspaceFactory.CreateRunspace();
            runspace.Open();
            runspace.ResetRunspaceState(); // as the pool does before it takes a runspace's baseline
            var clean = RunspaceFingerprint.Take(runspace);
            Assert.True(RunspaceFingerprint.Take(runspace).Matches(clean));
            runspace.SessionStateProxy.SetVariable("leftBehind", 1);
            var changed = RunspaceFingerprint.Take(runspace);
            Assert.False(changed.Matches(clean));
            Assert.True(changed.MatchesApartFromVariables(clean));
            using var ps = System.Management.Automation.PowerShell.Create();
            ps.Runspace = runspace;
            ps.AddScript("function global:Left-Behind { }").Invoke();
            Assert.False(RunspaceFingerprint.Take(runspace).MatchesApartFromVariables(clean));
        }
    }
}
