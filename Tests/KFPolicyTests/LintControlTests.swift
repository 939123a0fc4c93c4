import Foundation
import KFPolicy
@testable import KFPolicyClang
import XCTest

/// What the user controls in `kfpolicy lint` (disabled warnings, suppressions, warnings as
/// errors), the include directories it finds for the libclang it links, and the precompiled
/// shared includes (same findings as parsing every file on its own).
final class LintControlTests: XCTestCase {
    var bin: String { kfpolicyBinary }
    let cases = "Tests/LintCases"

    func lint(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        try runProcess(bin, ["lint", "--color", "never", "--policy", "Policies/scx-6.12.policy"] + args, cwd: packageRoot)
    }

    var unfollowable: [String] { ["\(cases)/unfollowable/unfollowable.bpf.c", "--", "-I", "\(cases)/include"] }

    func testDisablingWarningsByIdNameAndWnoFlag() throws {
        let all = try lint(unfollowable)
        XCTAssertTrue(all.err.contains("[KFP706]") && all.err.contains("[KFP705]") && all.err.contains("[KFP708]"), all.err)
        XCTAssertTrue(all.err.hasSuffix("1 error, 6 warnings\n"), all.err)
        let some = try lint(["--disable", "KFP706,unknown-member", "-Wno-address-taken"] + unfollowable)
        XCTAssertEqual(some.status, 1)
        XCTAssertFalse(some.err.contains("[KFP706]") || some.err.contains("[KFP705]") || some.err.contains("[KFP708]"), some.err)
        XCTAssertTrue(some.err.contains("[KFP707]") && some.err.contains("[KFP704]"), some.err)
        XCTAssertTrue(some.err.hasSuffix("1 error, 2 warnings\n"), some.err)
        let error = try lint(["--disable", "KFP701"] + unfollowable)
        XCTAssertEqual(error.status, 2)
        XCTAssertTrue(error.err.contains("KFP701 is an error"), error.err)
        let unknown = try lint(["-Wno-such-warning"] + unfollowable)
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.err.contains("'such-warning' is not a kfpolicy lint warning"), unknown.err)
        XCTAssertEqual(try lint(["-Wall"] + unfollowable).status, 2)
    }

    /// Warnings promoted to errors are reported and counted as errors.
    func testWarningsAsErrorsCountsThem() throws {
        let args = ["\(cases)/empty/helpers_only.bpf.c", "--", "-I", "\(cases)/include"]
        let plain = try lint(args)
        XCTAssertEqual(plain.status, 0)
        XCTAssertTrue(plain.err.hasSuffix("0 errors, 1 warning\n"), plain.err)
        for flag in ["--warnings-as-errors", "-Werror"] {
            let strict = try lint([flag] + args)
            XCTAssertEqual(strict.status, 1, flag)
            XCTAssertTrue(strict.err.contains(": error: no struct_ops map"), strict.err)
            XCTAssertTrue(strict.err.hasSuffix("1 error, 0 warnings\n"), strict.err)
        }
    }

    /// The arguments each file is parsed with: the BPF target, the user's, then clang's builtin
    /// headers of the libclang in use and the system directories; -nostdinc drops both.
    func testPrintClangArgs() throws {
        let r = try lint(["--print-clang-args", "a.bpf.c", "b.bpf.c", "--", "-I", "inc dir", "-DX=1"])
        XCTAssertEqual(r.status, 0, r.err)
        let lines = r.out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines[0].hasPrefix("a.bpf.c: -target bpf -D__TARGET_ARCH_"), lines[0])
        XCTAssertTrue(lines[0].contains(" -I 'inc dir' -DX=1 -isystem "), lines[0])
        let builtin = try XCTUnwrap(LintToolchain.current.builtinIncludeDir)
        XCTAssertTrue(lines[0].contains("-isystem \(builtin) "), lines[0])
        XCTAssertTrue(lines[0].hasSuffix("-idirafter /usr/include"), lines[0])
        let bare = try lint(["--print-clang-args", "a.bpf.c", "--", "-nostdinc", "-target", "bpfel", "-D__TARGET_ARCH_arm64"])
        XCTAssertEqual(bare.out, "a.bpf.c: -nostdinc -target bpfel -D__TARGET_ARCH_arm64\n")
    }

    /// The builtin headers are found from the loaded library and its version, not from a name
    /// written into kfpolicy; a file that includes them parses.
    func testBuiltinHeadersOfTheLinkedLibclang() throws {
        let t = LintToolchain.current
        let dir = try XCTUnwrap(t.builtinIncludeDir, "no builtin include directory for \(t.clangVersion) at \(t.libraryPath ?? "?")")
        for h in ["stddef.h", "stdbool.h", "stdarg.h", "limits.h"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/" + h), dir + "/" + h)
        }
        let version = try XCTUnwrap(LintToolchain.versionNumber(t.clangVersion))
        XCTAssertTrue(dir.contains("/" + version + "/") || dir.contains("/" + version.prefix { $0 != "." } + "/"), dir)
        XCTAssertEqual(LintToolchain.versionNumber("Debian clang version 14.0.6"), "14.0.6")
        XCTAssertEqual(LintToolchain.versionNumber("clang version 17.0.1 (https://github.com/llvm/llvm-project abc)"), "17.0.1")
        XCTAssertNil(LintToolchain.versionNumber("no version here"))
        XCTAssertEqual(LintToolchain.builtinCandidates(version: "clang version 17.0.1", library: "/opt/llvm/lib/libclang.so.17").prefix(2),
                       ["/opt/llvm/lib/clang/17.0.1/include", "/opt/llvm/lib/clang/17/include"])
        XCTAssertTrue(LintToolchain.builtinCandidates(version: "clang version 17.0.1", library: nil)
            .contains("/usr/lib/llvm-17/lib/clang/17/include"))
        let src = makeTempDir("lint-builtin")
        defer { try? FileManager.default.removeItem(atPath: src) }
        try "#include <stdbool.h>\n#include <stddef.h>\n#include <stdarg.h>\nbool b; size_t n;\n".write(toFile: src + "/b.bpf.c", atomically: true, encoding: .utf8)
        let r = try lint([src + "/b.bpf.c"])
        XCTAssertFalse(r.err.contains("KFP709"), r.err)
    }

    /// `--with` includes a policy file at the end of the policy, once: a file the policy already
    /// includes is not included again.
    func testWithIncludesAPolicyFileOnce() throws {
        let dir = makeTempDir("lint-with")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/generic", withIntermediateDirectories: true)
        let g = "external set gen: struct_ops;\n/// A generic kfunc.\nkfunc gen_kfunc { in gen; flags none; allow any; }\n"
        try g.write(toFile: dir + "/generic/g.policy", atomically: true, encoding: .utf8)
        let p = "policy p for struct s;\ncontext c;\n/// One callback.\ncallback cb: c;\n"
        try p.write(toFile: dir + "/p.policy", atomically: true, encoding: .utf8)
        try (p + "include \"generic/g.policy\";\n").write(toFile: dir + "/q.policy", atomically: true, encoding: .utf8)
        for root in ["p.policy", "q.policy"] {
            let c = try Linter.compilePolicy(dir + "/" + root, with: [dir + "/generic/g.policy"], sources: SourceManager())
            XCTAssertFalse(c.diagnostics.hasErrors, root)
            XCTAssertNotNil(c.policy.kfunc(named: "gen_kfunc"), root)
        }
        XCTAssertEqual(relativePath("/a/b/generic/g.policy", from: "/a/b"), "generic/g.policy")
        XCTAssertEqual(relativePath("/a/generic/g.policy", from: "/a/b/c"), "../../generic/g.policy")
    }

    /// Lint includes the generic kfuncs of the policy's kernel by default (found beside the
    /// policy, or where policies are looked up), so a scheduler's cpumask, RCU and iterator calls
    /// are checked rather than reported as unknown; --no-generic leaves them out.
    func testGenericKfuncsOfThePolicysKernelByDefault() throws {
        let cache = LintCorpusTests.cache
        XCTAssertFalse(cache.isEmpty, "scripts/lint-corpus.sh failed")
        let program = ["\(cases)/generic/generic.bpf.c", "--", "-I", "\(cases)/scx-include", "-I", cache, "-I", cache + "/bpf"]
        let byDefault = try lint(program)
        let explicit = try lint(["--with", "Policies/generic/bpf-6.12.policy"] + program)
        XCTAssertEqual(byDefault.err, explicit.err)
        XCTAssertFalse(byDefault.err.contains("[KFP704]"), byDefault.err)
        XCTAssertTrue(byDefault.err.contains("'bpf_copy_from_user_str' is not allowed"), byDefault.err)
        let without = try lint(["--no-generic"] + program)
        XCTAssertTrue(without.err.contains("[KFP704]"), without.err)
        XCTAssertFalse(without.err.contains("'bpf_copy_from_user_str' is not allowed"), without.err)
        // A policy whose kernel has no generic file: a note, and the kfuncs are unknown.
        let dir = makeTempDir("lint-nogeneric")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let old = try String(contentsOfFile: packageRoot + "/Policies/scx-6.12.policy", encoding: .utf8)
        try old.replacingOccurrences(of: "kernel 6.12;", with: "kernel 6.11;")
            .write(toFile: dir + "/old.policy", atomically: true, encoding: .utf8)
        let r = try runProcess(bin, ["lint", "--color", "never", "--policy", dir + "/old.policy"] + program, cwd: packageRoot)
        XCTAssertTrue(r.err.contains("note: no generic/bpf-6.11.policy"), r.err)
        XCTAssertTrue(r.err.contains("[KFP704]"), r.err)
    }

    /// libbpf resolves a ksym by its name up to the last `X___Y` (no underscore on either side),
    /// so a compat header reaches the kernel's `scx_bpf_dsq_insert___v2` as `..___v2___compat`.
    func testKernelNameIsLibbpfsEssentialName() {
        XCTAssertEqual(LintChecker.kernelName("scx_bpf_dsq_insert___v2___compat"), "scx_bpf_dsq_insert___v2")
        XCTAssertEqual(LintChecker.kernelName("scx_bpf_dispatch___compat"), "scx_bpf_dispatch")
        XCTAssertEqual(LintChecker.kernelName("scx_bpf_dsq_insert"), "scx_bpf_dsq_insert")
        XCTAssertEqual(LintChecker.kernelName("___scx_bpf_bstr_format_checker"), "___scx_bpf_bstr_format_checker")
        XCTAssertEqual(LintChecker.kernelName("a____b"), "a____b")
        XCTAssertEqual(LintChecker.kernelName("x___"), "x___")
    }

    /// The files lint adds reach the policy's forms too: Policies/scx.policy names the cid form,
    /// which shares the header and so must know the same sets and kfuncs.
    func testAddedFilesReachThePolicysForms() throws {
        let c = try Linter.compilePolicy(packageRoot + "/Policies/scx.policy",
                                         with: [packageRoot + "/Policies/generic/bpf-mainline.policy"],
                                         sources: SourceManager())
        XCTAssertFalse(c.diagnostics.hasErrors, c.diagnostics.sorted.map(\.message).joined(separator: "\n"))
        XCTAssertNotNil(c.policy.kfunc(named: "bpf_cpumask_test_cpu"))
        XCTAssertEqual(c.policy.forms.count, 1)
        XCTAssertNotNil(c.policy.forms.first?.policy.kfunc(named: "bpf_cpumask_test_cpu"))
    }

    /// A 6.12 kfunc that mainline renamed is unknown to the mainline policy; the warning names the
    /// new kfunc and where the policy records the rename.
    func testUnknownKfuncNamesItsRename() throws {
        let r = try runProcess(bin, ["lint", "--color", "never", "--policy", "Policies/scx.policy",
                                     "\(cases)/fifo_ok/fifo.bpf.c", "--", "-I", "\(cases)/include"], cwd: packageRoot)
        XCTAssertTrue(r.err.contains("warning: kfunc 'scx_bpf_consume' is not in policy 'scx'"), r.err)
        XCTAssertTrue(r.err.contains("note: 'scx_bpf_consume' was renamed 'scx_bpf_dsq_move_to_local'"), r.err)
        XCTAssertTrue(r.err.contains("hint: call 'scx_bpf_dsq_move_to_local', or declare 'scx_bpf_consume' __weak"), r.err)
    }

    /// A build's flags as they are: lint leaves out what writes files (a depfile libclang would
    /// write, the object) and what turns compiler warnings into errors, which would read as
    /// files that do not parse.
    func testBuildFlagsThatWriteFilesOrPromoteWarningsAreLeftOut() throws {
        XCTAssertEqual(parsingOptions(["-g", "-c", "-o", "x.o", "-oy.o", "-MD", "-MF", "x.d", "-MFy.d", "-MT", "t",
                                       "-Werror", "-Werror=unused", "-pedantic-errors", "-Wall", "-Wno-error=x",
                                       "-I", "inc", "-objcmt-x"]),
                       ["-g", "-Wall", "-Wno-error=x", "-I", "inc", "-objcmt-x"])
        XCTAssertEqual(parsingArguments(["clang", "-O2", "-c", "src/a.bpf.c", "-o", "a.o"], file: "src/a.bpf.c"), ["-O2"])
        let dir = makeTempDir("lint-flags")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "static int unused_helper(int x) { return 0; }\n".write(toFile: dir + "/w.bpf.c", atomically: true, encoding: .utf8)
        let r = try lint([dir + "/w.bpf.c", "--", "-Wall", "-Wextra", "-Werror", "-MD", "-MF", dir + "/w.d", "-c", "-o", dir + "/w.o"])
        XCTAssertFalse(r.err.contains("KFP709"), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/w.d"), "lint wrote the build's depfile")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/w.o"))
    }

    func testSuppressionComments() throws {
        let text = Array("""
            x(); // kfpolicy: allow KFP706 the library calls no kfunc
            /* kfpolicy: allow unresolved-call,KFP705: both */
            // kfpolicy: allow KFP701
            // kfpolicy: allowing nothing
            char *s = "kfpolicy: allow KFP706 not a comment";

            """.utf8)
        let file = SourceFile(path: "t.c", bytes: text)
        let s = LintSuppressionScanner.scan(text, file: 0, source: file)
        XCTAssertEqual(s.map(\.line), [1, 2, 3])
        XCTAssertEqual(s.map(\.ids), [[.lintUnresolvedCall], [.lintUnresolvedCall, .lintAddressTaken], [.lintKfuncNotAllowed]])
        XCTAssertEqual(s.map(\.reason), ["the library calls no kfunc", "both", ""])
    }

    func testLeadingDirectives() {
        let a = Array("/* one */\n#include \"x.h\" // why\n#define A(x) \\\n\t((x) + 1)\n#if B\n#include <y.h>\n#endif\nint v;\n".utf8)
        let b = Array("// two\n#include   \"x.h\"\n#define A(x) ((x) + 1)\n#if B\n#include <y.h>\n#endif\n#include \"z.h\"\nint w;\n".utf8)
        let da = LintLead.directives(a), db = LintLead.directives(b)
        XCTAssertEqual(da.map(\.text), ["#include \"x.h\"", "#define A(x) ((x) + 1)", "#if B", "#include <y.h>", "#endif"])
        XCTAssertEqual(da.map(\.balanced), [true, true, false, false, true])
        XCTAssertEqual(LintLead.shared([da, db]), ["#include \"x.h\"", "#define A(x) ((x) + 1)", "#if B", "#include <y.h>", "#endif"])
        // Cut before an unbalanced #if, and at a directive that names the line.
        let c = Array("#include \"x.h\"\n#if B\nint v;\n".utf8)
        XCTAssertEqual(LintLead.shared([da, LintLead.directives(c)]), ["#include \"x.h\""])
        let d = Array("#include \"x.h\"\n#define L __LINE__\n#include \"z.h\"\n".utf8)
        XCTAssertEqual(LintLead.shared([LintLead.directives(d), LintLead.directives(d)]), ["#include \"x.h\""])
        XCTAssertEqual(LintLead.shared([LintLead.directives(Array("#define A 1\nint v;\n".utf8))]), [])
    }

    /// Parsing with the shared includes precompiled gives exactly what parsing every file on
    /// its own gives (the multi-file programs: a single file is never precompiled).
    func testPrecompiledLeadChangesNoFinding() throws {
        let cache = LintCorpusTests.cache
        XCTAssertFalse(cache.isEmpty, "scripts/lint-corpus.sh failed")
        let scx = ["-I", "\(cases)/scx-include", "-I", cache, "-I", cache + "/bpf"]
        for (program, args) in [("mesh_ok", scx), ("vtime_ok", ["-I", "\(cases)/include"])] {
            let files = try FileManager.default.contentsOfDirectory(atPath: packageRoot + "/\(cases)/\(program)")
                .filter { $0.hasSuffix(".bpf.c") }.sorted().map { "\(cases)/\(program)/\($0)" }
            let with = try lint(["--time-report"] + files + ["--"] + args)
            XCTAssertTrue(with.err.contains("precompile shared includes"), with.err)
            let without = try runProcess("/usr/bin/env", ["KFPOLICY_LINT_NO_PCH=1", bin, "lint", "--color", "never",
                                                          "--policy", "Policies/scx-6.12.policy"] + files + ["--"] + args,
                                         cwd: packageRoot)
            XCTAssertEqual(with.status, without.status, program)
            XCTAssertEqual(with.err.components(separatedBy: "kfpolicy: time report")[0], without.err, program)
        }
    }
}
