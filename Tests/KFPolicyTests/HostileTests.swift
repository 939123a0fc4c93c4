import Foundation
import KFPolicy
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Hostile input: each file under Tests/Hostile (and each big input generated here at run time)
/// must give a clear diagnostic (file:line:col, id, hint), never crash or hang, stay within a
/// memory bound, and leave the outputs of `kfpolicy gen` untouched.
final class HostileTests: XCTestCase {
    static let corpus = packageRoot + "/Tests/Hostile"

    // MARK: - The committed corpus, with expectations inside the files

    /// Every `.policy` under Tests/Hostile that states expectations gives exactly those
    /// diagnostics (as the invalid corpus does), and gen leaves outputs untouched.
    func testCommittedHostilePoliciesGiveTheirExpectedDiagnostics() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.corpus)
            .filter { $0.hasSuffix(".policy") && !$0.hasPrefix("cycle_") && $0 != "self.policy" }.sorted()
        var checked = 0
        for f in files {
            let path = Self.corpus + "/" + f
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else { continue }
            let c = try Compilation.compile(path: path)
            var expected: [InvalidCorpusTests.Expectation] = []
            for p in c.policy.files where FileManager.default.fileExists(atPath: p) {
                expected += try InvalidCorpusTests.expectations(in: p, display: String(p.dropFirst(Self.corpus.count + 1)))
            }
            if expected.isEmpty { continue } // files checked by their own tests below
            checked += 1
            var unmatched = expected
            for d in c.diagnostics.items where d.severity == .error {
                let pos = try XCTUnwrap(c.sources.position(d.range), "\(f): \(d.message) has no location")
                XCTAssertNotNil(d.hint, "\(f): \(d.id.rawValue) '\(d.message)' has no hint")
                let display = String(pos.path.dropFirst(Self.corpus.count + 1))
                if let i = unmatched.firstIndex(where: { $0.path == display && $0.line == pos.line && $0.id == d.id.rawValue
                                                         && (d.message + " " + (d.hint ?? "")).contains($0.text) }) {
                    unmatched.remove(at: i)
                } else {
                    XCTFail("\(display):\(pos.line):\(pos.column): unexpected \(d.id.rawValue): \(d.message)")
                }
            }
            for e in unmatched { XCTFail("\(e.path):\(e.line): expected \(e.id) '\(e.text)' was not reported") }
            try assertGenFails(path, mentions: expected.map { "\($0.path):\($0.line):" } + expected.map { "[\($0.id)]" })
        }
        XCTAssertGreaterThanOrEqual(checked, 6)
    }

    func testEmptyFile() throws {
        try assertGenFails(Self.corpus + "/empty.policy", mentions: ["empty.policy:1:1: error: file declares no policy [KFP104]", "hint: "])
    }

    func testBinaryGarbage() throws {
        let r = try assertGenFails(Self.corpus + "/garbage.bin", mentions: ["garbage.bin:1:2: error: file is not valid UTF-8 [KFP006]", "hint: "])
        XCTAssertLessThan(r.err.utf8.count, 2000, "only the first bad byte is reported")
    }

    func testInvalidUTF8ReportsTheFirstBadByteOnly() throws {
        let r = try assertGenFails(Self.corpus + "/invalid_utf8.policy",
                                   mentions: ["invalid_utf8.policy:3:14: error: file is not valid UTF-8 [KFP006]", "hint: "])
        XCTAssertEqual(r.err.components(separatedBy: "error:").count - 1, 1, r.err)
    }

    /// Printable garbage with control characters: one error per bad spot, no escape sequence
    /// from the file reaches the terminal.
    func testASCIIGarbageWithControlCharacters() throws {
        let r = try assertGenFails(Self.corpus + "/ascii_garbage.policy", mentions: ["ascii_garbage.policy:1:", "[KFP00", "hint: "])
        XCTAssertFalse(r.err.utf8.contains(0x1B), "an escape character from the file reached the output")
        XCTAssertFalse(r.err.utf8.contains(0x00))
        XCTAssertLessThan(r.err.utf8.count, 8192 * 200, "diagnostics grow at most linearly with the input")
    }

    func testRootFileIsADirectoryOrMissing() throws {
        let out = makeTempDir("hostile-root")
        defer { try? FileManager.default.removeItem(atPath: out) }
        for (path, reason) in [(Self.corpus + "/dir.policy", "is a directory"), (Self.corpus + "/nope.policy", "No such file or directory")] {
            for f in try FileManager.default.contentsOfDirectory(atPath: out) { try FileManager.default.removeItem(atPath: out + "/" + f) }
            let sentinel = try plantSentinel(in: out, stem: Generator.stem(of: path))
            let r = try runMeasured(builtKfpolicy, ["gen", path, "-o", out, "--color", "never"])
            XCTAssertEqual(r.status, 2, r.err)
            XCTAssertTrue(r.err.contains("cannot read \(path): \(reason)"), r.err)
            try assertUntouched(out, sentinel)
        }
    }

    func testIncludeCycleOfTwoAndSelfInclude() throws {
        let r = try assertGenFails(Self.corpus + "/include_cycle.policy",
                                   mentions: ["cycle_b.policy:2:9: error: include cycle", "self.policy:2:9: error: include cycle", "[KFP102]", "hint: "])
        XCTAssertEqual(r.err.components(separatedBy: "error:").count - 1, 2, r.err)
    }

    /// Swift keywords (and C++/Objective-C ones) are fine in C: the header compiles and its
    /// filter, guards and tables agree with the model on every decision.
    func testSwiftKeywordNamesCompileAndAgreeWithTheModel() throws {
        let c = try compileShipped("Tests/Hostile/swift_keywords.policy")
        XCTAssertEqual(c.diagnostics.items.count, 0, c.diagnostics.items.map(\.message).joined(separator: "\n"))
        let out = try HarnessTests.runHarness(c.policy, name: "swift_keywords")
        XCTAssertGreaterThan(HarnessTests.compare(c.policy, out), 50)
    }

    // MARK: - Big inputs, generated at run time

    /// A 10 MB line: 20 000 references to a context with a 500-byte name, then an unknown name
    /// at column ten million. One error, at the right column, and a snippet of bounded size.
    func testTenMegabyteLine() throws {
        let dir = makeTempDir("hostile-line")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let name = "c" + String(repeating: "x", count: 499)
        var line = "group g = \(name)"
        line.reserveCapacity(10_600_000)
        let term = " | " + name
        for _ in 0..<20_000 { line += term }
        let column = line.utf8.count + 4 // 1-based, after " | "
        line += " | nosuch;\n"
        XCTAssertGreaterThan(line.utf8.count, 10_000_000)
        let text = "policy big for struct big_ops;\ncontext \(name);\ncallback cb: \(name);\n" + line
        let path = dir + "/line.policy"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        let r = try assertGenFails(path, mentions: ["line.policy:4:\(column): error: unknown context or group 'nosuch' [KFP201]", "hint: "],
                                   maxSeconds: 120, maxRSSMB: 400)
        XCTAssertLessThan(r.err.utf8.count, 4000, "the snippet of a long line is a window, not the line")
        XCTAssertTrue(r.err.contains("  ...\(name.suffix(97)) | nosuch;\n"), String(r.err.prefix(3000)))
    }

    /// A 10 MB identifier: past the kernel's name limit, reported once, rendered as a window.
    func testTenMegabyteIdentifier() throws {
        let dir = makeTempDir("hostile-ident")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/ident.policy"
        try ("policy p for struct p_ops;\ncontext a;\ncallback " + String(repeating: "k", count: 10 << 20) + ": a;\n")
            .write(toFile: path, atomically: false, encoding: .utf8)
        let r = try assertGenFails(path, mentions: ["ident.policy:3:10: error: identifier of 10485760 bytes", "[KFP409]", "hint: "],
                                   maxSeconds: 120, maxRSSMB: 400)
        XCTAssertEqual(r.err.components(separatedBy: "error:").count - 1, 1, String(r.err.prefix(2000)))
    }

    /// Junk that gives three errors on every line, 600 000 in all: the first 10 000 are kept and
    /// shown, the rest counted, so memory and output stay bounded.
    func testMillionsOfErrorsAreCountedNotKept() throws {
        let dir = makeTempDir("hostile-junk")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/junk.policy"
        try ("policy p for struct p_ops;\n" + String(repeating: "context x @\n", count: 200_000)).write(toFile: path, atomically: false, encoding: .utf8)
        let r = try assertGenFails(path, mentions: ["junk.policy:2:11: error: unexpected character '@' [KFP001]",
                                                    "kfpolicy: 590000 more diagnostics not shown (the first 10000 are)",
                                                    "599999 errors, 1 warning"], maxSeconds: 60, maxRSSMB: 400)
        XCTAssertLessThan(r.err.utf8.count, 3_000_000)
    }

    /// 100 000 nested parentheses, and 100 000 `~`: stopped at 200 levels, one error each.
    func testHundredThousandDeepMask() throws {
        let dir = makeTempDir("hostile-deep")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let n = 100_000
        for (name, mask) in [("parens", String(repeating: "(", count: n) + "a" + String(repeating: ")", count: n)),
                             ("tildes", String(repeating: "~", count: n) + "a")] {
            let path = dir + "/\(name).policy"
            try "policy p for struct p_ops;\ncontext a;\ncallback cb: a;\ngroup g = \(mask);\n".write(toFile: path, atomically: false, encoding: .utf8)
            let r = try assertGenFails(path, mentions: ["\(name).policy:4:211: error: mask expression nested more than 200 levels deep [KFP106]", "hint: "],
                                       maxSeconds: 60, maxRSSMB: 500)
            XCTAssertEqual(r.err.components(separatedBy: "error:").count - 1, 1, String(r.err.prefix(3000)))
        }
    }

    /// A chain of 100 000 groups, each defined through the next, in declaration order and in
    /// reverse: both are valid (evaluated without recursion) and every group gets the mask.
    func testHundredThousandGroupChainInBothOrders() throws {
        let n = 100_000
        let head = "policy p for struct p_ops;\ncontext a;\ncontext b;\ncallback cb: a | b;\nset s: struct_ops;\n"
        let uses = "kfunc k {\n    in s;\n    allow g\(n - 1);\n}\n"
        let forward = head + "group g0 = a;\n" + (1..<n).map { "group g\($0) = g\($0 - 1);\n" }.joined()
        let reverse = head + (1..<n).reversed().map { "group g\($0) = g\($0 - 1);\n" }.joined() + "group g0 = a;\n"
        for (order, text) in [("forward", forward + uses), ("reverse", reverse + uses)] {
            let c = compileText(text, path: "\(order).policy")
            XCTAssertFalse(c.diagnostics.hasErrors, "\(order): " + c.diagnostics.items.prefix(3).map(\.message).joined(separator: "; "))
            XCTAssertEqual(c.policy.groups.count, n)
            XCTAssertTrue(c.policy.groups.allSatisfy { $0.mask == .bit(0) }, order)
            XCTAssertEqual(c.policy.kfuncs.first?.mask, .bit(0))
        }
        // A cycle closed at the end of a long chain: one error, with the path elided.
        let cyclic = head + (1..<5000).reversed().map { "group g\($0) = g\($0 - 1);\n" }.joined() + "group g0 = g4999;\n"
            + uses.replacingOccurrences(of: "g\(n - 1)", with: "g4999")
        let c = compileText(cyclic, path: "cyclic.policy")
        let cycles = c.diagnostics.items.filter { $0.id == .groupCycle }
        XCTAssertEqual(cycles.count, 1)
        XCTAssertLessThan(cycles.first?.message.utf8.count ?? 0, 1000, "a 5000-step path is elided in the message")
        XCTAssertNotNil(cycles.first?.hint)
    }

    /// A chain of 100 000 includes (read through a reader that makes each file on demand):
    /// stopped at depth 64 with one error that names the chain's last file.
    func testHundredThousandDeepIncludeChain() throws {
        var reads = 0
        let c = Compilation.compile(path: "root.policy",
                                    bytes: Array("policy p for struct p_ops;\ninclude \"f1.policy\";\ncontext a;\ncallback cb: a;\n".utf8),
                                    reader: { (p: String) throws(FileError) -> [UInt8] in
                                        reads += 1
                                        guard p.hasPrefix("f"), let i = Int(p.dropFirst().dropLast(7)), i < 100_000 else { throw FileError(path: p, reason: "No such file or directory") }
                                        return Array("include \"f\(i + 1).policy\";\n".utf8)
                                    })
        let errors = c.diagnostics.items.filter { $0.severity == .error }
        XCTAssertEqual(errors.map(\.id), [.nestingTooDeep])
        XCTAssertEqual(c.sources.describe(errors[0].range), "f63.policy:1:9")
        XCTAssertNotNil(errors[0].hint)
        XCTAssertLessThan(reads, 100)
    }

    /// The same with real files through the CLI, and an include of itself at the bottom.
    func testDeepIncludeChainOnDisk() throws {
        let dir = makeTempDir("hostile-inc")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "policy p for struct p_ops;\ninclude \"f1.policy\";\ncontext a;\ncallback cb: a;\n".write(toFile: dir + "/root.policy", atomically: false, encoding: .utf8)
        for i in 1...80 { try "include \"f\(i + 1).policy\";\n".write(toFile: dir + "/f\(i).policy", atomically: false, encoding: .utf8) }
        try assertGenFails(dir + "/root.policy", mentions: ["f63.policy:1:9: error: includes nested more than 64 levels deep [KFP106]", "hint: "])
    }

    /// More kfunc entries than the kernel merges for one hook, more callbacks than a struct_ops
    /// may have: errors naming the kernel limit; with --ignore-kernel-limits, warnings, and a
    /// header that compiles and agrees with the model.
    func testKernelLimitsAreErrorsUnlessIgnored() throws {
        let dir = makeTempDir("hostile-limits")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var text = "policy big for struct big_ops;\ncontext a;\ncontext b;\n"
        text += "callback " + (0..<65).map { "cb\($0)" }.joined(separator: ", ") + ": a | b;\n"
        text += "set s0: struct_ops, syscall;\nset s1: struct_ops, tracing, lsm;\n"
        for k in 0..<257 { text += "kfunc k\(k) {\n    in s\(k % 2);\n    allow \(k % 3 == 0 ? "a" : "b");\n}\n" }
        let path = dir + "/limits.policy"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        let r = try assertGenFails(path, mentions: [
            "limits.policy:4:", "error: struct big_ops would have 65 callbacks", "BPF_STRUCT_OPS_MAX_NR_MEMBERS",
            "limits.policy:6:5: error: with set 's1', the STRUCT_OPS hook holds more than 256 kfunc entries", "BTF_KFUNC_SET_MAX_CNT", "[KFP409]", "hint: "])
        XCTAssertFalse(r.err.contains("(TRACING)"), "tracing and lsm share one hook, with 256 entries: only struct_ops is past the limit")
        // Ignored: the header is written, as a warning. Three callbacks this time, so the
        // harness stays small; it compiles and agrees with the model.
        let fewer = text.replacingOccurrences(of: (0..<65).map { "cb\($0)" }.joined(separator: ", "), with: "cb0, cb1, cb2")
        try fewer.write(toFile: path, atomically: false, encoding: .utf8)
        let out = makeTempDir("hostile-limits-out")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let ok = try runMeasured(builtKfpolicy, ["gen", "--ignore-kernel-limits", path, "-o", out, "--color", "never"])
        XCTAssertEqual(ok.status, 0, ok.err)
        XCTAssertTrue(ok.err.contains("limits.policy:6:5: warning: with set 's1'"), ok.err)
        let c = compileText(fewer, path: "limits.policy").downgrading([.kernelLimit])
        XCTAssertFalse(c.diagnostics.hasErrors)
        XCTAssertEqual(try String(contentsOfFile: out + "/limits_kfpolicy.h", encoding: .utf8), CEmitter.header(c.policy, sourceName: "limits.policy"))
        XCTAssertGreaterThan(HarnessTests.compare(c.policy, try HarnessTests.runHarness(c.policy, name: "limits")), 257 * 3)
    }

    /// Past 65 535 callbacks or kfuncs (only with --ignore-kernel-limits) no index of the
    /// header wraps around: its tables and the instance check count in 32 bits.
    func testNoIndexIsSixteenBits() throws {
        let text = "policy wide for struct wide_ops;\nnesting per_instance;\ncontext a;\ncallback "
            + (0..<65_536).map { "c\($0)" }.joined(separator: ", ") + ": a;\nset s: struct_ops;\nkfunc k { in s; allow a; invokes c65535; }\n"
        let c = compileText(text, path: "wide.policy").downgrading([.kernelLimit])
        XCTAssertFalse(c.diagnostics.hasErrors)
        XCTAssertEqual(c.diagnostics.items.map(\.id), [.kernelLimit, .nestingCycleChecked])
        let h = CEmitter.header(c.policy, sourceName: "wide.policy")
        XCTAssertTrue(h.contains("wide_check_instance("))
        XCTAssertFalse(h.contains("u16"), "a 16-bit index type is left")
    }

    /// Many unknown names against many declared ones: suggestions stop when their budget runs
    /// out instead of making the check quadratic.
    func testManyUnknownNamesAgainstManyDeclaredNames() throws {
        var text = "policy p for struct p_ops;\ncontext a;\ncallback cb: a;\nset s: struct_ops;\n"
        for i in 0..<5000 { text += "group group_number_\(i) = a;\n" }
        for i in 0..<5000 { text += "kfunc k\(i) { in s; allow group_numbr_\(i); }\n" }
        let start = Date()
        let c = compileText(text)
        XCTAssertEqual(c.diagnostics.items.filter { $0.id == .unknownName }.count, 5000)
        XCTAssertEqual(c.diagnostics.items.first { $0.id == .unknownName }?.hint, "did you mean 'group_number_0'?")
        XCTAssertLessThan(Date().timeIntervalSince(start), 60)
    }

    // MARK: - Running gen on a hostile input

    /// Runs `kfpolicy gen` on `path` with an output directory that already holds the outputs
    /// (sentinels with an old time stamp) and a depfile; the run must fail with a policy error
    /// that mentions every string in `mentions`, within the time and memory bounds, and leave
    /// the directory exactly as it was.
    @discardableResult
    func assertGenFails(_ path: String, mentions: [String], maxSeconds: Double = 30, maxRSSMB: Int = 400,
                        file: StaticString = #filePath, line: UInt = #line) throws -> Measured {
        let out = makeTempDir("hostile-out")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let sentinel = try plantSentinel(in: out, stem: Generator.stem(of: path))
        let r = try runMeasured(builtKfpolicy, ["gen", path, "-o", out, "--depfile", out + "/deps.d", "--color", "never"])
        XCTAssertEqual(r.status, 1, "exit status; stderr:\n" + String(r.err.prefix(3000)), file: file, line: line)
        XCTAssertNil(r.signal, "killed by signal \(r.signal ?? 0)", file: file, line: line)
        for m in mentions {
            XCTAssertTrue(r.err.contains(m), "stderr does not mention '\(m)':\n" + String(r.err.prefix(3000)), file: file, line: line)
        }
        print("hostile input \(URL(fileURLWithPath: path).lastPathComponent): exit \(r.status) in \((r.seconds * 100).rounded() / 100) s, peak \(r.maxRSSKB / 1024) MB")
        XCTAssertLessThan(r.seconds, maxSeconds, "took \(r.seconds) s", file: file, line: line)
        XCTAssertLessThan(r.maxRSSKB, maxRSSMB * 1024, "peak memory \(r.maxRSSKB / 1024) MB", file: file, line: line)
        try assertUntouched(out, sentinel, file: file, line: line)
        return r
    }

    struct Sentinel { let files: [String: [UInt8]]; let mtime: time_t }

    /// Existing outputs for `stem` (header, Swift file, depfile) with known bytes and an old time stamp.
    func plantSentinel(in dir: String, stem: String) throws -> Sentinel {
        var files: [String: [UInt8]] = [:]
        for name in ["\(stem)_kfpolicy.h", "deps.d"] {
            let bytes = Array("/* an earlier output of \(name) */\n".utf8)
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name))
            var times = [timeval(tv_sec: 1_000_000_000, tv_usec: 0), timeval(tv_sec: 1_000_000_000, tv_usec: 0)]
            utimes(dir + "/" + name, &times)
            files[name] = bytes
        }
        return Sentinel(files: files, mtime: 1_000_000_000)
    }

    func assertUntouched(_ dir: String, _ s: Sentinel, file: StaticString = #filePath, line: UInt = #line) throws {
        let now = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(now, s.files.keys.sorted(), "files appeared in or vanished from the output directory", file: file, line: line)
        for (name, bytes) in s.files {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)), Data(bytes), "\(name) changed", file: file, line: line)
            var st = stat()
            stat(dir + "/" + name, &st)
            XCTAssertEqual(st.st_mtim.tv_sec, s.mtime, "\(name) was rewritten", file: file, line: line)
        }
    }
}

// MARK: - Running the built kfpolicy (builtKfpolicy, KernelSourceTests.swift) with time and memory measured

struct Measured {
    /// Exit status, or -1 when killed by a signal.
    let status: Int32
    let signal: Int32?
    let out: String
    let err: String
    /// Peak resident memory in KB (from GNU time; without it, an upper bound from wait4).
    let maxRSSKB: Int
    let seconds: Double
}

/// A child process started with posix_spawn. Its peak memory comes from GNU time when asked
/// for: wait4's own figure is no good here, because posix_spawn starts the child in the test
/// process's memory and Linux keeps that high-water mark across exec.
struct Child {
    let pid: pid_t
    let outPath: String
    let errPath: String
    let rssPath: String?
    let start: Date

    static func spawn(_ exe: String, _ args: [String], env: [String: String] = [:], measureMemory: Bool = false) throws -> Child {
        let tmp = makeTempDir("child")
        let outPath = tmp + "/stdout", errPath = tmp + "/stderr"
        let time = "/usr/bin/time"
        let rssPath: String? = measureMemory && FileManager.default.isExecutableFile(atPath: time) ? tmp + "/rss" : nil
        let (exe, args) = rssPath.map { (time, ["-f", "%M", "-o", $0, "--", exe] + args) } ?? (exe, args)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        let argv = ([exe] + args).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0)=\($1)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, exe, &actions, nil, argv, envp)
        guard rc == 0 else { throw NSError(domain: "spawn", code: Int(rc), userInfo: [NSLocalizedDescriptionKey: "cannot run \(exe): \(String(cString: strerror(rc)))"]) }
        return Child(pid: pid, outPath: outPath, errPath: errPath, rssPath: rssPath, start: Date())
    }

    func wait() -> Measured {
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let seconds = Date().timeIntervalSince(start)
        let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let err = (try? Data(contentsOf: URL(fileURLWithPath: errPath))).map { String(decoding: $0, as: UTF8.self) } ?? ""
        // GNU time writes "Command exited with non-zero status N" first, then %M (KB).
        let rss = rssPath.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }?
            .split(separator: "\n").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: outPath).deletingLastPathComponent().path)
        let termsig = status & 0x7f
        return Measured(status: termsig == 0 ? (status >> 8) & 0xff : -1, signal: termsig == 0 ? nil : termsig,
                        out: out, err: err, maxRSSKB: rss ?? Int(usage.ru_maxrss), seconds: seconds)
    }
}

func runMeasured(_ exe: String, _ args: [String], env: [String: String] = [:]) throws -> Measured {
    try Child.spawn(exe, args, env: env, measureMemory: true).wait()
}
